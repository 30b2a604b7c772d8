/**
 * A local subnet for integration tests: a relay, the owner (local chain) and the manifest's first
 * validator in this process, and miners joined with any task (honest or not).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EpochResult } from '../../src/chain/index.ts'
import type { ModelRunner } from '../../src/inference/index.ts'
import { hotkeyFromSecret } from '../../src/identity/index.ts'
import { createMinerNode, joinSubnet, type MinerNode, type MinerOptions } from '../../src/node/index.ts'
import { createRelay, type Mesh } from '../../src/p2p/index.ts'
import type { SubnetManifest, SubnetTask } from '../../src/subnet/index.ts'
import { DEFAULT_MODELS_DIR } from '../../src/cli/paths.ts'
import { startOwner, startValidator } from '../../src/cli/stack.ts'

export interface TestSubnet {
  bootstrap: string[]
  owner: Awaited<ReturnType<typeof startOwner>>
  validator: Awaited<ReturnType<typeof startValidator>>
  /** Joins a miner with its own hotkey, runner and task; stopped with the subnet. */
  addMiner(opts: { secret: string; runner: ModelRunner; task?: SubnetTask; agent: string; ask?: MinerOptions['ask'] }): Promise<{ node: MinerNode; hotkey: string; peerId: string; addrs: string[]; mesh: Mesh }>
  /** Runs `stop` when the subnet stops (in reverse order). */
  onStop(stop: () => Promise<unknown>): void
  stop(): Promise<void>
}

/** `host`: where every piece listens (default 127.0.0.1; browser tests pass TEST_HOST). */
export async function startTestSubnet(manifest: SubnetManifest, host = '127.0.0.1'): Promise<TestSubnet> {
  const log = (): void => {}
  const stoppers: (() => Promise<unknown>)[] = []
  const stop = async () => {
    for (const s of stoppers.splice(0).reverse()) await s().catch(() => {})
  }
  try {
    const relay = await createRelay({ host, port: 0, keyFile: join(mkdtempSync(join(tmpdir(), 'wt-subnet-')), 'relay.key') })
    await relay.start()
    stoppers.push(() => relay.stop())
    const bootstrap = relay.multiaddrs
    const owner = await startOwner({ manifest, bootstrap, host, log })
    stoppers.push(() => owner.owner.stop(), () => owner.mesh.stop())
    const validator = await startValidator({ manifest, secret: manifest.validators[0]!.devSecret!, bootstrap, host, modelsDir: DEFAULT_MODELS_DIR, log })
    stoppers.push(() => validator.runner.dispose(), () => validator.validator.stop(), () => validator.mesh.stop())
    return {
      bootstrap,
      owner,
      validator,
      async addMiner({ secret, runner, task, agent, ask }) {
        const hotkey = await hotkeyFromSecret(secret)
        const { mesh, chain } = await joinSubnet({ manifest, signer: hotkey, bootstrap, listen: [`/ip4/${host}/tcp/0/ws`] })
        stoppers.push(() => mesh.stop())
        const node = createMinerNode({ manifest, mesh, chain, runner, signer: hotkey, agent, ...(task === undefined ? {} : { task }), ...(ask === undefined ? {} : { ask }) })
        await node.start()
        stoppers.push(() => node.stop())
        return { node, hotkey: hotkey.address, peerId: mesh.peerId, addrs: mesh.multiaddrs, mesh }
      },
      onStop: (s) => void stoppers.push(s),
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}

/** Each named uid's share of the incentive the named uids earned in `epoch`. */
export function incentiveShares(epoch: EpochResult, uids: ReadonlyMap<string, number>): Map<string, number> {
  const total = [...uids.values()].reduce((s, u) => s + (epoch.incentive[u] ?? 0), 0)
  return new Map([...uids].map(([name, u]) => [name, (epoch.incentive[u] ?? 0) / Math.max(total, 1)]))
}
