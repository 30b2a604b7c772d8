import type { MinerStats } from '../node/index.ts'

/** Lines for the terminal from one miner stats update: `say` for the essential ones, `log` for the rest. */
export interface MinerLines {
  say: string[]
  log: string[]
}

/** A count for a progress line: 812 → `812`, 812_345 → `812k`, 1_234_567 → `1.2M`. */
export function shortCount(n: number): string {
  if (n < 1000) return String(Math.round(n))
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`
  return `${(n / 1_000_000).toFixed(1)}M`
}

/**
 * What `webtensor miner` prints as its stats change: the registration's proof of work (a line
 * when its phase changes, and while solving at most one per `intervalMs`), `registered as uid N`
 * when the chain assigns a uid, and the miner's own counters only when they change (not on each
 * hashing progress report). Pure: the caller passes the time.
 * @example const lines = minerProgress(); miner.onUpdate((s) => print(lines(s, Date.now())))
 */
export function minerProgress(intervalMs = 1000): (stats: MinerStats, nowMs: number) => MinerLines {
  let uid: number | null = null
  let phase: string | null = null
  let lastSolvingLine = -Infinity
  let lastCounters = ''
  return (s, now) => {
    const out: MinerLines = { say: [], log: [] }
    if (s.uid !== uid) {
      if (s.uid !== null) out.say.push(`registered as uid ${s.uid}`)
      else out.say.push(`uid ${uid} is no longer registered (pruned); registering again`)
      uid = s.uid
      phase = null
    }
    const r = s.registration
    if (uid === null && r !== null) {
      const changed = r.phase !== phase
      phase = r.phase
      if (r.phase === 'waiting' && changed) out.log.push('registering: waiting for the chain head')
      else if (r.phase === 'submitted' && changed) out.log.push(`registering: proof of work for block ${r.block ?? '?'} submitted; waiting for the chain to include it`)
      else if (r.phase === 'solving' && (changed || now - lastSolvingLine >= intervalMs)) {
        lastSolvingLine = now
        const at = `registering: proof of work at difficulty ${r.difficulty ?? '?'}`
        out.log.push(r.tries === undefined ? `${at} on block ${r.block ?? '?'}` : `${at}, ${shortCount(r.tries)} hashes (${shortCount(r.hashesPerSecond ?? 0)}/s)`)
      }
    }
    // Only when what it shows changes (not on every latency or refusal), and nothing before the
    // miner has a uid or an answer (the registration lines say what it is doing).
    const counters = `miner: uid ${s.uid ?? '-'} answered ${s.queriesAnswered} score ${s.lastScore?.toFixed(3) ?? '-'} incentive ${s.incentive?.toFixed(4) ?? '-'}`
    if (counters !== lastCounters && (s.uid !== null || s.queriesAnswered > 0)) out.log.push(counters)
    lastCounters = counters
    return out
  }
}
