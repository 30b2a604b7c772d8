/**
 * The `owner-forges-epoch` behaviour in exact mode: at the scenario's epoch the owner logs, signs
 * and gossips an epoch result that does not follow from its signed log (the top miner's incentive
 * handed to the owner's uid 0), once. Afterwards the coordinator verifies the log as served
 * (`LogVerifier`, what pages run in their worker and `webtensor verify` runs) and checks that it
 * stops exactly at the forged entry.
 */
import { readFile } from 'node:fs/promises'
import { LogVerifier } from '../chain/log-verifier.ts'
import type { EpochResult, LocalEpochRecord } from '../chain/index.ts'
import { runEpoch, type EpochOutput } from '../scoring/index.ts'
import type { ForgeryCheck } from '../simulate/run.ts'
import type { Scenario } from '../simulate/scenario.ts'

/** The run epoch (0-based) whose result the owner forges, or null when the cast has no forging owner. */
export function forgedEpochOf(scenario: Scenario): number | null {
  const g = scenario.cast.find((x) => x.behaviour === 'owner-forges-epoch' && x.count > 0)
  return g === undefined ? null : (g.atEpoch ?? Math.floor(scenario.epochs / 2))
}

/**
 * The forged result: the real one with the highest incentive (a miner's) moved to uid 0, the
 * owner's; the rest unchanged. Pure.
 */
export function forgeOutput(output: EpochOutput): EpochOutput {
  const forged = structuredClone(output)
  const inc = forged.u16.incentive
  let top = 0
  for (let u = 1; u < inc.length; u++) if (inc[u]! > inc[top]!) top = u
  // Nobody earned yet: invent some incentive for the owner anyway (still not what Yuma gives).
  if (inc[top] === 0 || top === 0) inc[0] = (inc[0] ?? 0) + 1
  else {
    inc[0] = (inc[0] ?? 0) + inc[top]!
    inc[top] = 0
  }
  forged.incentive = inc.map((x) => x / 65535)
  return forged
}

/** The owner's hook: forges the first epoch after `arm()` and nothing else. */
export function epochForger(): { forge: (record: LocalEpochRecord<EpochOutput>) => EpochOutput | null; arm(): void; forged(): LocalEpochRecord<EpochOutput> | null } {
  let armed = false
  let done: LocalEpochRecord<EpochOutput> | null = null
  return {
    arm: () => void (armed = done === null),
    forged: () => done,
    forge(record) {
      if (!armed) return null
      armed = false
      done = record
      return forgeOutput(record.output)
    },
  }
}

/**
 * Verifies the owner's log file from entry 0 and says whether it stops exactly at the forged entry.
 * `digests`: each surviving peer's received digest per chain epoch.
 */
export async function checkForgery(opts: { logPath: string; ownerHotkey: string; runEpoch: number; forged: EpochResult | undefined; digests: Iterable<Map<number, string>> }): Promise<ForgeryCheck> {
  const forged = opts.forged
  if (forged === undefined) throw new Error(`the owner did not publish a forged epoch ${opts.runEpoch + 1}`)
  const verifier = new LogVerifier((input) => runEpoch(input as never, { mode: 'exact' }), { ownerHotkey: opts.ownerHotkey })
  const text = await readFile(opts.logPath, 'utf8')
  const update = verifier.push(text.slice(0, text.lastIndexOf('\n') + 1))
  const d = update.divergence
  let heard = 0
  let took = 0
  for (const m of opts.digests) {
    const got = m.get(forged.epoch)
    if (got === undefined) continue
    heard++
    if (got === forged.digest) took++
  }
  return {
    epoch: opts.runEpoch,
    chainEpoch: forged.epoch,
    seq: forged.logSeq,
    detected: d !== undefined && d.seq === forged.logSeq,
    divergence: d === undefined ? null : { seq: d.seq, reason: d.reason, detail: d.detail },
    peersWithForged: took,
    peersHeard: heard,
  }
}
