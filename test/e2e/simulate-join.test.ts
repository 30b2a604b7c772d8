import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { runCli, runCliToEnd } from '../support/cli.ts'

/**
 * A small cast split over two processes: shard 0 = peers 0, 2, 4, 6 (a validator, two honest
 * miners, the answer table), shard 1 = peers 1, 3, 5 (a validator, an honest miner, the churner).
 */
const SCENARIO = {
  name: 'two-shards',
  description: 'Two simulate processes, one subnet.',
  mode: 'exact',
  seed: 9,
  epochs: 6,
  tempo: 10,
  blockTimeMs: 400,
  // Generous timeouts: the test machine is loaded, and an answer that misses the timeout scores 0.
  manifest: { validation: { queryIntervalMs: 1000, responseTimeoutMs: 8000, latencyTargetMs: 3000 } },
  cast: [
    { behaviour: 'honest-validator', count: 2 },
    { behaviour: 'honest-miner', count: 3 },
    { behaviour: 'churn', count: 1, leaveEvery: 2, stayFor: 2 },
    { behaviour: 'answer-table', count: 1 },
  ],
  // At epoch 3 the churner is away; of the 6 others, seed 9 picks peers 2 (an honest miner on shard 0)
  // and 3 (the honest miner on shard 1): a command to each process. (Killing a validator instead
  // starves some miners for an epoch: a restarted validator's weights cover only the miners it has
  // scored since, and Yuma's consensus clips the rest.)
  faults: [{ atEpoch: 3, kind: 'kill', share: 0.3, forEpochs: 1 }],
  expectations: [
    // The churner answers honestly while it is up and keeps part of its pay while away (0.1–0.2 here).
    { kind: 'share', behaviour: 'honest-miner', metric: 'incentive', atLeast: 0.6, fromEpoch: 2 },
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

    // A worker with the wrong token, or for a shard the coordinator does not wait for, is refused (exit 2).
    const wrongToken = await runCliToEnd(['simulate', file, '--exact', '--join', endpoint!, '--shard', '1/2'], { env: { ...process.env, WEBTENSOR_JOIN_TOKEN: 'not-the-token-at-all' } })
    assert.equal(wrongToken.code, 2, wrongToken.stdout + wrongToken.stderr)
    assert.match(wrongToken.stderr, /the coordinator refused shard 1\/2: bad or missing join token/)
    const ownShard = await runCliToEnd(['simulate', file, '--exact', '--join', endpoint!, '--shard', '0/2'], { env: { ...process.env, WEBTENSOR_JOIN_TOKEN: token } })
    assert.equal(ownShard.code, 2)
    assert.match(ownShard.stderr, /shard 0 is the coordinator's own/)

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
    assert.deepEqual(report.runs[0]!.series.peersOnline, [8, 8, 7, 5, 8, 8])
    // Peers of both processes earn: shard i runs peers i, i + 2, i + 4, so each process has an
    // honest validator and an honest miner, and the each-above expectations hold for every one of them.
    assert.match(serve.output(), /PASS expectations\[1\] each honest-miner's incentive > 0\.02/)
    assert.match(serve.output(), /PASS expectations\[3\] each honest-validator's dividends > 0\.05/)
    assert.match(worker.output(), /shard 1\/2: starting 3 peers \(honest-validator, honest-miner, churn\)/)
    // The churner (on the worker) leaves and comes back; the kill fault reaches both processes.
    assert.match(serve.output(), /epoch 3: down 5\n/)
    assert.match(serve.output(), /epoch 4: killed 2 peers \(2 on shard 0, 3 on shard 1\)/)
    assert.match(serve.output(), /epoch 4: down 2, 3\n/)
    assert.match(serve.output(), /epoch 5: back 2, 3, 5\n/)
  } finally {
    await worker?.stop()
    await serve.stop()
  }
})

test('--serve and --join: usage errors exit 2 naming the flag', async () => {
  const env = { ...process.env, WEBTENSOR_JOIN_TOKEN: '' }
  const cases: [string[], RegExp][] = [
    [['--exact', '--join', 'http://127.0.0.1:1'], /--join needs --shard i\/k/],
    [['--exact', '--join', 'http://127.0.0.1:1', '--shard', '2/2'], /--shard must be i\/k with 0 ≤ i < k ≤ 64, got 2\/2/],
    [['--exact', '--join', 'http://127.0.0.1:1', '--shard', '1/2'], /--join needs the coordinator's join token: set WEBTENSOR_JOIN_TOKEN or pass --token-file/],
    [['--exact', '--join', 'ftp://x', '--shard', '1/2'], /--join must be an http\(s\) URL/],
    [['--serve', '--join', 'http://127.0.0.1:1'], /--serve and --join exclude each other/],
    [['--serve', '--port', '70000'], /--port must be 0\.\.65535/],
    [['--shard', '0/2'], /--shard applies to --serve or --join only/],
    [['--serve', '--mode', 'math'], /--exact, --serve and --join run exact mode: drop --mode math/],
  ]
  for (const [args, message] of cases) {
    const r = await runCliToEnd(['simulate', 'cheaters-exact', ...args], { env })
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
    assert.match(r.stderr, message, args.join(' '))
  }
})
