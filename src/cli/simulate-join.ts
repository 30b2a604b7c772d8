/**
 * A worker of an exact simulation (`webtensor simulate SCENARIO --exact --join URL --shard i/k`):
 * runs its shard of the cast's Node peers on the coordinator's relay (tab peers are the coordinator's), reports them to the
 * coordinator every half second (alive, digests seen, the honest validators' counters and
 * latencies, the miners' addresses), and starts or stops peers as the coordinator's replies say
 * (the fault timeline), until the coordinator says the run is done.
 */
import type { Scenario } from '../simulate/scenario.ts'
import { parseCoordinatorReply, ShardError, type CoordinatorReply, type Shard, type WorkerReport } from '../simulate/shard.ts'
import { castManifest, castOf, startShard, type ShardRuntime } from './simulate-cast.ts'
import { exactModeGaps } from './simulate-exact.ts'
import { REPORT_INTERVAL_MS, scenarioFingerprint } from './simulate-serve.ts'

export interface JoinOptions {
  /** The coordinator's join endpoint, as it printed it (http://host:port). */
  url: string
  shard: Shard
  token: string
  /** Where this worker's peers listen (default 127.0.0.1; must be reachable from the other shards' peers). */
  host?: string
  modelsDir: string
  /** How long to keep trying the coordinator before giving up (ms). */
  connectTimeoutMs?: number
  onStatus?: (line: string) => void
  log?: (line: string) => void
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** The coordinator refused this worker (bad token, another scenario, a bad shard): retrying will not help. */
export class JoinRefusedError extends ShardError {
  override name = 'JoinRefusedError'
}

/**
 * Runs shard `options.shard` of the scenario for the coordinator at `options.url`; resolves with
 * the number of peers it ran when the coordinator says the run is done.
 * @example await runJoin(scenario, { url: 'http://10.0.0.2:41234', shard: { index: 1, count: 2 }, token, modelsDir })
 */
export async function runJoin(scenario: Scenario, options: JoinOptions): Promise<{ peers: number }> {
  const gaps = exactModeGaps(scenario)
  if (gaps.length > 0) throw new Error(`exact mode cannot run ${gaps.join(', ')} yet`)
  const log = options.log ?? ((): void => {})
  const status = options.onStatus ?? ((): void => {})
  const host = options.host ?? '127.0.0.1'
  const { shard } = options
  const cast = await castOf(scenario)
  const manifest = castManifest(scenario, cast)
  const fingerprint = scenarioFingerprint(scenario)
  const endpoint = new URL('/simulate/report', options.url)
  let seq = 0
  let runtime: ShardRuntime | null = null
  const report = (error?: string): WorkerReport => {
    const snap = runtime?.snapshot() ?? { peers: [], validators: [], miners: [] }
    return { fingerprint, shard, seq: seq++, ...snap, ...(error === undefined ? {} : { error: error.slice(0, 500) }) }
  }
  const post = async (body: WorkerReport): Promise<CoordinatorReply> => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${options.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    })
    const text = await res.text()
    if (res.status === 400 || res.status === 401 || res.status === 413) {
      let why = text.slice(0, 300)
      try {
        why = String((JSON.parse(text) as { error?: unknown }).error ?? why)
      } catch {
        // not JSON: the text itself
      }
      throw new JoinRefusedError(`the coordinator refused shard ${shard.index}/${shard.count}: ${why}`, { code: 'join_refused' })
    }
    if (!res.ok) throw new Error(`the coordinator answered ${res.status}`)
    return parseCoordinatorReply(JSON.parse(text) as unknown)
  }
  /** Posts, retrying what may pass (the coordinator starting, a dropped connection) until `timeoutMs`. */
  const postRetrying = async (body: () => WorkerReport, timeoutMs: number): Promise<CoordinatorReply> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      try {
        return await post(body())
      } catch (err) {
        if (err instanceof JoinRefusedError || Date.now() > deadline) throw err
        await sleep(REPORT_INTERVAL_MS)
      }
    }
  }

  try {
    const hello = await postRetrying(report, options.connectTimeoutMs ?? 120_000)
    if (hello.relay.length === 0) throw new Error('the coordinator gave no relay address')
    status(`simulate ${scenario.name}: shard ${shard.index}/${shard.count} joined ${options.url}; relay ${hello.relay.join(' ')}`)
    runtime = await startShard({ scenario, cast, manifest, shard, bootstrap: hello.relay, host, modelsDir: options.modelsDir, log })
    const rt = runtime
    status(`simulate ${scenario.name}: shard ${shard.index}/${shard.count}: starting ${rt.peers.length} peers (${rt.peers.map((p) => cast[p]!.behaviour).join(', ')})`)
    let asked = ''
    let flooding = false
    let reply = hello
    let failure: unknown = null
    for (;;) {
      if (failure !== null) throw failure
      const alive = reply.alive.filter((p) => rt.peers.includes(p))
      const key = alive.join(',')
      if (key !== asked) {
        asked = key
        rt.setAlive(new Set(alive)).catch((err: unknown) => void (failure = err))
      }
      if (reply.phase === 'running' && !flooding && rt.flooders.length > 0) {
        flooding = true
        rt.startFlooders(reply.miners).catch((err: unknown) => void (failure = err))
      }
      if (reply.phase === 'done') break
      await sleep(REPORT_INTERVAL_MS)
      reply = await postRetrying(report, 30_000)
    }
    status(`simulate ${scenario.name}: shard ${shard.index}/${shard.count}: the coordinator finished the run; stopping ${rt.peers.length} peers`)
    return { peers: rt.peers.length }
  } catch (err) {
    if (!(err instanceof JoinRefusedError)) await post(report((err as Error).message ?? String(err))).catch(() => {})
    throw err
  } finally {
    await runtime?.stop()
  }
}
