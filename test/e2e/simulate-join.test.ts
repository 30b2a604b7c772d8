import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { runCli } from '../support/cli.ts'

/**
 * A small cast split over two processes: shard 0 = peers 0, 2, 4, 6 (a validator, two honest
 * miners, the answer table), shard 1 = peers 1, 3, 5 (a validator, an honest miner, the churner).
 */
const SCENARIO = {
  name: 'two-shards',
  description: 'Two simulate processes, one subnet.',
  mode: 'exact',
  seed: 3,
  epochs: 5,
  tempo: 10,
  blockTimeMs: 400,
  manifest: { validation: { queryIntervalMs: 500, responseTimeoutMs: 3000, latencyTargetMs: 1000 } },
  cast: [
    { behaviour: 'honest-validator', count: 2 },
    { behaviour: 'honest-miner', count: 3 },
    { behaviour: 'churn', count: 1, leaveEvery: 2, stayFor: 2 },
    { behaviour: 'answer-table', count: 1 },
  ],
  // At epoch 3 the churner is away; of the 6 others, seed 3 picks peers 1 (the validator on shard 1)
  // and 6 (the answer table on shard 0): a command to each process.
  faults: [{ atEpoch: 3, kind: 'kill', share: 0.3, forEpochs: 1 }],
  expectations: [
    { kind: 'share', behaviour: 'honest-miner', metric: 'incentive', atLeast: 0.7, fromEpoch: 2 },
    // Every honest miner earns: a low bar, since on a loaded machine the validators reach fewer answers in time.
    { kind: 'each-above', behaviour: 'honest-miner', metric: 'incentive', above: 0.02, fromEpoch: 2 },
    { kind: 'each-below', behaviour: 'answer-table', metric: 'incentive', below: 0.01, fromEpoch: 2 },
    { kind: 'each-above', behaviour: 'honest-validator', metric: 'dividends', above: 0.05, fromEpoch: 2 },
    { kind: 'same-digests' },
  ],
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)))

test('two simulate processes (--serve running shard 0/2, --join running shard 1/2) run one subnet, peers of both earn, and kills and churn reach both', { timeout: 600_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simulate-join-'))
  const file = join(dir, 'two-shards.json')
  await writeFile(file, JSON.stringify(SCENARIO))
  const out = join(dir, 'report')
  const serve = runCli(['simulate', file, '--exact', '--serve', '--shard', '0/2', '--out', out])
  let worker: ReturnType<typeof runCli> | undefined
  try {
    const [, endpoint] = (await serve.waitFor(/join endpoint (http:\/\/\S+)/, 240_000))
    const token = (await readFile(join(out, 'join-token'), 'utf8')).trim()
    assert.match(serve.output(), /waiting for shard 1\/2: WEBTENSOR_JOIN_TOKEN=\$\(cat .*join-token\) webtensor simulate \S+two-shards\.json --exact --join http:\/\/\S+ --shard 1\/2/)

    // The endpoint is hostile-input-proof: no token, a wrong one, another scenario, too much.
    const post = (body: string, auth?: string): Promise<Response> =>
      fetch(new URL('/simulate/report', endpoint), { method: 'POST', headers: { 'Content-Type': 'application/json', ...(auth === undefined ? {} : { Authorization: `Bearer ${auth}` }) }, body })
    assert.equal((await post('{}')).status, 401)
    assert.equal((await post('{}', `${token}x`)).status, 401)
    const other = await post(JSON.stringify({ fingerprint: 'f'.repeat(64), shard: { index: 1, count: 2 }, seq: 0, peers: [], validators: [], miners: [] }), token)
    assert.equal(other.status, 400)
    assert.match(((await other.json()) as { error: string }).error, /another scenario/)
    assert.equal((await post('x'.repeat(2 << 20), token).catch(() => ({ status: 413 }))).status, 413)
    assert.equal((await fetch(new URL('/simulate/report', endpoint))).status, 405)

    worker = runCli(['simulate', file, '--exact', '--join', endpoint!, '--shard', '1/2'], { env: { ...process.env, WEBTENSOR_JOIN_TOKEN: token } })
    const [serveCode, workerCode] = await Promise.all([exited(serve.child), exited(worker.child)])
    console.log(serve.output())
    console.log(worker.output())
    assert.equal(serveCode, 0, serve.output())
    assert.equal(workerCode, 0, worker.output())
    assert.match(serve.output(), /7 peers registered over 2 shard\(s\)/)
    assert.match(serve.output(), /all expectations hold/)
    assert.match(worker.output(), /two-shards: shard 1\/2 ran 3 peers; the coordinator writes the report/)

    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as { passed: boolean; expectations: { status: string }[]; runs: { series: { peersOnline: number[] } }[] }
    assert.equal(report.passed, true)
    assert.deepEqual(report.expectations.map((e) => e.status), ['pass', 'pass', 'pass', 'pass', 'pass'])
    // The owner and 7 peers; the churner away in epochs 3–4, two killed in epoch 4.
    assert.deepEqual(report.runs[0]!.series.peersOnline, [8, 8, 7, 5, 8])
    // Peers of both processes earn: shard i runs peers i, i + 2, i + 4, so each process has an
    // honest validator and an honest miner, and the each-above expectations hold for every one of them.
    assert.match(serve.output(), /PASS expectations\[1\] each honest-miner's incentive > 0\.02/)
    assert.match(serve.output(), /PASS expectations\[3\] each honest-validator's dividends > 0\.05/)
    assert.match(worker.output(), /shard 1\/2: starting 3 peers \(honest-validator, honest-miner, churn\)/)
    // The churner (on the worker) leaves and comes back; the kill fault reaches both processes.
    assert.match(serve.output(), /epoch 3: down 5\n/)
    assert.match(serve.output(), /epoch 4: killed 2 peers \(1 on shard 1, 6 on shard 0\)/)
    assert.match(serve.output(), /epoch 4: down 1, 6\n/)
    assert.match(serve.output(), /epoch 5: back 1, 5, 6\n/)
  } finally {
    await worker?.stop()
    await serve.stop()
  }
})
