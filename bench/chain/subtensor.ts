/**
 * subtensor reads at n = 256 uids (`node --import tsx bench/chain/subtensor.ts`, ~3 min; needs
 * ../shared/fixtures/subtensor/raonet.json): subtensor's raonet runtime (spec 218) under
 * chopsticks, a fresh subnet filled by dev_setStorage with 256 hotkeys (64 validators with stake
 * and a weight on every uid), then one block so the runtime runs its epoch on them. Measures the
 * `SubtensorClient` metagraph read (`refresh()`), and `verify --chain` per epoch (reading the
 * epoch's inputs and outputs, re-deriving it; in-process, and once through the real CLI). Prints
 * figures; the last line is JSON.
 */
import { spawn } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connectSubtensor } from '../../src/chain/subtensor/index.ts'
import { verifyChain } from '../../src/cli/verify-chain.ts'
import { hotkeyFromSecret } from '../../src/identity/index.ts'
import { startChopsticks, TAO } from '../../test/support/chopsticks.ts'

const N = 256
const VALIDATORS = 64
const RUNS = 5
const repo = resolve(fileURLToPath(import.meta.url), '../../..')
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const ms = (x: number): number => Math.round(x * 10) / 10
const loadAtStart = loadavg()[0]!

const t0 = performance.now()
const chain = await startChopsticks()
try {
  const owner = await hotkeyFromSecret('//BenchOwner')
  await chain.fund([owner.address], 100_000n * TAO)
  const netuid = await chain.createSubnet(owner, { tempo: 360, maxAllowedUids: N })
  const keys = await Promise.all(Array.from({ length: N }, (_, i) => hotkeyFromSecret(`//BenchUid${i}`)))
  const head = await chain.head()
  const row = Array.from({ length: N }, (_, u) => [u, 1 + ((u * 7919) % 65535)])
  const sm: Record<string, unknown[]> = {
    SubnetworkN: [[[netuid], N]],
    Keys: keys.map((k, u) => [[netuid, u], k.address]),
    Uids: keys.map((k, u) => [[netuid, k.address], u]),
    TotalHotkeyAlpha: keys.slice(0, VALIDATORS).map((k, u) => [[k.address, netuid], ((1000n + BigInt(u)) * TAO).toString()]),
    BlockAtRegistration: keys.map((_, u) => [[netuid, u], head - 1]),
    ValidatorPermit: [[[netuid], keys.map((_, u) => u < VALIDATORS)]],
    LastUpdate: [[[netuid], keys.map(() => head)]],
    Weights: keys.slice(0, VALIDATORS).map((_, u) => [[netuid, u], row]),
  }
  await chain.api.rpc('dev_setStorage' as never, { SubtensorModule: sm } as never)
  await chain.newBlocks(2)
  const setupMs = performance.now() - t0
  console.log(`chopsticks + subnet ${netuid} with ${N} uids (${VALIDATORS} validators × ${N} weights) in ${ms(setupMs / 1000)} s`)

  // == Metagraph reads through the client.
  let t = performance.now()
  const client = await connectSubtensor({ url: chain.url, netuid, retries: 0 })
  const connectMs = performance.now() - t
  const reads: number[] = []
  for (let i = 0; i < RUNS; i++) {
    // A new head each time (untimed), so refresh() rereads everything at it.
    await chain.newBlocks(1)
    t = performance.now()
    await client.refresh()
    reads.push(performance.now() - t)
  }
  const mg = client.metagraph()!
  if (mg.neurons.length !== N) throw new Error(`metagraph has ${mg.neurons.length} neurons, not ${N}`)
  await client.close()
  console.log(`metagraph read (${N} uids): connect + first read ${ms(connectMs)} ms; refresh() after a new head, median ${ms(median(reads))} ms of ${RUNS} (${reads.map(ms).join(', ')})`)

  // == verify --chain per epoch (this runtime runs its epoch every block).
  const runs: { total: number; read: number; epoch: number; diffs: number }[] = []
  for (let i = 0; i < RUNS; i++) {
    t = performance.now()
    const r = await verifyChain({ url: chain.url, netuid })
    runs.push({ total: performance.now() - t, read: r.seconds.read * 1000, epoch: r.seconds.epoch * 1000, diffs: r.differences.length })
  }
  if (runs.some((r) => r.diffs !== 0)) throw new Error(`verify --chain found differences at ${N} uids: ${JSON.stringify(runs)}`)
  console.log(`verify --chain (${N} uids), in-process: median ${ms(median(runs.map((r) => r.total)))} ms per epoch (connect + metadata + read + re-derive); of it reading the epoch's inputs and outputs ${ms(median(runs.map((r) => r.read)))} ms, epoch_mock + Yuma on the same inputs ${ms(median(runs.map((r) => r.epoch)))} ms; every compared value equal`)
  t = performance.now()
  // Asynchronously: chopsticks answers from this process.
  const cli = await new Promise<{ status: number | null; out: string }>((done) => {
    const child = spawn(process.execPath, [resolve(repo, 'bin/webtensor.js'), 'verify', '--chain', chain.url, '--netuid', String(netuid)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.once('exit', (status) => done({ status, out }))
  })
  const cliMs = performance.now() - t
  if (cli.status !== 0) throw new Error(`the CLI exited ${cli.status}: ${cli.out}`)
  console.log(`npx webtensor verify --chain … (${N} uids), the real CLI: ${ms(cliMs)} ms wall, exit 0`)
  console.log(JSON.stringify({
    n: N, validators: VALIDATORS, setupS: ms(setupMs / 1000), connectMs: ms(connectMs), metagraphReadMs: ms(median(reads)),
    verifyChainMs: ms(median(runs.map((r) => r.total))), verifyReadMs: ms(median(runs.map((r) => r.read))), verifyEpochMs: ms(median(runs.map((r) => r.epoch))), cliMs: ms(cliMs),
    cpus: cpus().length, cpu: cpus()[0]?.model, loadAtStart, loadAtEnd: loadavg()[0], date: new Date().toISOString(),
  }))
} finally {
  await chain.close()
}
