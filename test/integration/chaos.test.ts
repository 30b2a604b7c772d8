// Chaos: SIGKILL 30% of a subnet's peers and the relay in the middle of an epoch, bring the relay
// back on its address, and check that the survivors reconnect and agree on the next epoch.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { createGossipChainClient } from '../../src/chain/gossip-client.ts'
import type { ChainClient } from '../../src/chain/index.ts'
import { hotkeyFromSecret } from '../../src/identity/identity.ts'
import { createMinerNode } from '../../src/node/miner.ts'
import { createMesh, type Mesh } from '../../src/p2p/index.ts'
import { epochDigest, runEpoch } from '../../src/scoring/index.ts'
import { DEFAULT_MANIFEST, DEFAULT_MODELS_DIR } from '../../src/cli/paths.ts'
import { loadNodeRunner, readManifest, startOwner, startValidator } from '../../src/cli/stack.ts'
import { until } from '../p2p/harness.ts'

const CHILD = new URL('../support/chaos-peer.ts', import.meta.url).pathname

/** Starts a chaos-peer process and resolves with its first JSON line. */
async function child<T>(args: string[]): Promise<{ proc: ChildProcess; first: T }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: proc.stdout! })
  const first = await new Promise<T>((ok, fail) => {
    proc.once('exit', (code) => fail(new Error(`chaos-peer ${args[0]} exited with ${code}`)))
    lines.once('line', (l) => ok(JSON.parse(l) as T))
  })
  return { proc, first }
}

function sigkill(proc: ChildProcess): Promise<void> {
  return new Promise((ok) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return ok()
    proc.once('exit', () => ok())
    proc.kill('SIGKILL')
  })
}

test('kill 30% of peers and the relay mid-epoch: survivors reconnect and agree on the next epoch', { timeout: 240_000 }, async () => {
  const manifest = readManifest(DEFAULT_MANIFEST)
  manifest.chain.blockTimeMs = 250
  manifest.chain.tempo = 16
  manifest.validation.queryIntervalMs = 500
  const log = (): void => {}
  const keyFile = join(mkdtempSync(join(tmpdir(), 'wt-chaos-')), 'relay.key')
  const children: ChildProcess[] = []
  const stoppers: (() => Promise<void>)[] = []
  try {
    let relay = await child<{ multiaddrs: string[] }>(['relay', '0', keyFile])
    children.push(relay.proc)
    const bootstrap = relay.first.multiaddrs
    const relayPort = /\/tcp\/(\d+)\//.exec(bootstrap[0]!)![1]!
    const relayId = bootstrap[0]!.split('/p2p/')[1]!

    const owner = await startOwner({ manifest, bootstrap, host: '127.0.0.1', log })
    stoppers.push(() => owner.mesh.stop(), () => owner.owner.stop())
    const validator = await startValidator({ manifest, secret: manifest.validators[0]!.devSecret!, bootstrap, host: '127.0.0.1', modelsDir: DEFAULT_MODELS_DIR, log })
    stoppers.push(() => validator.mesh.stop(), () => validator.validator.stop(), () => validator.runner.dispose())

    // Survivors: the owner, the validator and 6 miners in this process. The doomed: 3 miners in
    // a child process, 30% of the 10 peers beside the owner.
    const runner = await loadNodeRunner(manifest, DEFAULT_MODELS_DIR, log)
    stoppers.push(() => runner.dispose())
    // The owner is a survivor too (its mesh must reconnect) but it is the source of the epochs.
    const survivors: { name: string; mesh: Mesh; chain?: ChainClient }[] = [
      { name: 'owner', mesh: owner.mesh },
      { name: 'validator', mesh: validator.mesh, chain: createGossipChainClient({ mesh: validator.mesh, netuid: manifest.netuid, ownerHotkey: manifest.owner.hotkey }) },
    ]
    for (let i = 0; i < 6; i++) {
      const hotkey = await hotkeyFromSecret(`//ChaosSurvivor${i}`)
      const mesh = await createMesh({ netuid: manifest.netuid, signer: hotkey, bootstrap, listen: ['/ip4/127.0.0.1/tcp/0/ws'], allowPrivateAddresses: true })
      await mesh.start()
      const chain = createGossipChainClient({ mesh, netuid: manifest.netuid, ownerHotkey: manifest.owner.hotkey })
      const miner = createMinerNode({ manifest, mesh, chain, runner, signer: hotkey, agent: 'chaos' })
      await miner.start()
      stoppers.push(() => mesh.stop(), () => miner.stop())
      survivors.push({ name: `miner${i}`, mesh, chain })
    }
    const doomed = await child<{ ready: number }>(['miners', bootstrap[0]!, '//ChaosDoomed0', '//ChaosDoomed1', '//ChaosDoomed2'])
    children.push(doomed.proc)

    // Epoch digests each survivor other than the owner received, by epoch number.
    const receivers = survivors.filter((s) => s.chain !== undefined)
    const seen = receivers.map(() => new Map<number, { digest: string; inputDigest: string | undefined }>())
    receivers.forEach((s, i) => s.chain!.onEpoch((e) => seen[i]!.set(e.epoch, { digest: e.digest, inputDigest: e.inputDigest })))

    await until('all 10 peers registered', () => (owner.owner.stats().registrations >= 9), 90_000)
    await until('an epoch after registration', () => (owner.owner.latestEpoch()?.epoch ?? -1) > 0 && seen.every((m) => m.size > 0), 60_000)

    // Mid-epoch: half a tempo after the latest epoch block.
    const e0 = owner.owner.latestEpoch()!
    await until('mid-epoch', () => owner.owner.stats().block >= e0.block + manifest.chain.tempo / 2, 30_000)
    const killedAt = Date.now()
    await Promise.all([sigkill(doomed.proc), sigkill(relay.proc)])
    const connectedToRelay = (m: Mesh) => m.libp2p.getConnections().some((c) => c.remotePeer.toString() === relayId && c.status === 'open')
    await until('survivors to notice the relay is gone', () => survivors.every((s) => !connectedToRelay(s.mesh)), 30_000)
    const down = Date.now()

    relay = await child<{ multiaddrs: string[] }>(['relay', relayPort, keyFile])
    children.push(relay.proc)
    const back = Date.now()
    const reconnectMs = new Map<string, number>()
    await until(
      'every survivor to reconnect to the relay',
      () => {
        for (const s of survivors) if (!reconnectMs.has(s.name) && connectedToRelay(s.mesh)) reconnectMs.set(s.name, Date.now() - back)
        return reconnectMs.size === survivors.length
      },
      60_000,
    )
    const reconnected = Date.now()

    // The next epoch that ran wholly after the relay came back.
    const blockAtReconnect = owner.owner.stats().block
    await until('the next epoch', () => (owner.owner.latestEpoch()?.block ?? 0) > blockAtReconnect, 60_000)
    const next = owner.owner.latestEpoch()!
    await until('every survivor to receive it', () => seen.every((m) => m.has(next.epoch)), 30_000)
    for (const [i, s] of receivers.entries()) {
      assert.deepEqual(seen[i]!.get(next.epoch), { digest: next.digest, inputDigest: next.inputDigest }, `${s.name} agrees on epoch ${next.epoch}`)
    }
    // And the digest is the one an independent recomputation of the stored input gives.
    const record = owner.owner.epochs.find((r) => r.epoch === next.epoch)!
    assert.equal(epochDigest(runEpoch(record.input as never, { mode: 'exact' })), next.digest)
    assert.equal(epochDigest(record.input as never), next.inputDigest)
    const times = [...reconnectMs.values()].sort((a, b) => a - b)
    console.log(
      `chaos: SIGKILLed 3/10 peers + the relay; survivors saw the relay gone after ${down - killedAt} ms; relay restarted ${back - killedAt} ms after the kill;` +
        ` ${survivors.length} survivors reconnected in median ${times[times.length >> 1]} ms, max ${times[times.length - 1]} ms (all within ${reconnected - back} ms);` +
        ` epoch ${next.epoch} (block ${next.block}) digests agreed by all ${survivors.length}`,
    )
  } finally {
    for (const c of children) await sigkill(c)
    for (const stop of stoppers.reverse()) await stop().catch(() => {})
  }
})
