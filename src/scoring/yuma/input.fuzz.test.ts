// Seeded mutation fuzzing of Yuma epoch inputs as `webtensor yuma run` and the Yuma worker take
// them: subtensor's fixtures (single epochs and sequences), mutated as JSON values (type
// confusion, huge and NaN-ish numbers, deep nesting, huge arrays, splices of valid pieces) and as
// JSON text (byte mutations, then JSON.parse). Each input goes where the CLI sends it
// (runEpochSequence for { initial, steps }, runEpoch otherwise) in exact or fast mode, and a share
// also through the worker's path (packInput → unpackInput → runEpoch), which must agree. Every
// input must yield outputs or a YumaInputError naming the field; nothing else may be thrown.
// FUZZ_INPUTS sets the count (default 10^4; test/p2p/fuzz.heavy.test.ts runs 10^5).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { epochDigest } from './digest.ts'
import { runEpoch } from './epoch.ts'
import { YumaInputError } from './errors.ts'
import { runEpochSequence } from './sequence.ts'
import type { EpochInput, EpochMode, EpochSequence } from './types.ts'
import { packInput, unpackInput } from '../yuma-worker-protocol.ts'
import { formatReport, fuzz, fuzzInputs, mutateBytes, mutateJson, Rng } from '../../../test/support/fuzz.ts'

const N = fuzzInputs(10_000)
const dir = new URL('./fixtures/', import.meta.url)
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as { input?: EpochInput; sequence?: EpochSequence })
// Single epochs (the fixtures' and each sequence's first), and sequences cut to three steps.
const singles: unknown[] = fixtures.map((f) => f.input ?? f.sequence?.initial)
const sequences: unknown[] = fixtures.filter((f) => f.sequence).map((f) => ({ initial: f.sequence!.initial, steps: f.sequence!.steps.slice(0, 3) }))
const pool = [...singles, ...sequences]
// Field names the fuzzer adds with strange values (epoch input, sequence step, hyperparameters).
const KEYS = ['n', 'block', 'emission', 'stake', 'alpha_stake', 'tao_stake', 'tao_weight', 'validator_permit', 'last_update', 'block_at_registration', 'weights', 'bonds', 'owner_uid', 'last_mechanism_step_block', 'commit_blocks', 'hyperparams', 'reset_bonds_for_uid', 'initial', 'steps', 'kappa', 'tempo', 'activity_cutoff', 'activity_cutoff_factor_milli', 'yuma3', 'liquid_alpha', 'alpha_low', 'alpha_high', 'stake_threshold', 'max_allowed_validators', 'commit_reveal']
// Every step of every fixture sequence; those with a bond reset are picked often (a step needs it
// for the reset path to run at all).
const allSteps: unknown[] = fixtures.flatMap((f) => f.sequence?.steps ?? [])
const resetSteps = allSteps.filter((st) => typeof st === 'object' && st !== null && 'reset_bonds_for_uid' in st)
const STEP_KEYS = ['bonds', 'reset_bonds_for_uid', 'weights', 'validator_permit', 'last_update', 'hyperparams', 'block', 'n', 'stake']
const texts = pool.map((v) => new TextEncoder().encode(JSON.stringify(v)))

/** The field a YumaInputError names, indices folded (weights[3][1] → weights[][]; steps[0].n → steps[].n). */
const fieldOf = (err: YumaInputError) => err.field.replace(/\[\d+\]/g, '[]')

/** What `webtensor yuma run` does with parsed JSON (src/cli/yuma.ts). */
function runLikeCli(json: unknown, mode: EpochMode): string[] {
  const isSequence = typeof json === 'object' && json !== null && 'initial' in json && 'steps' in json
  return isSequence ? runEpochSequence(json as EpochSequence, { mode }).map(epochDigest) : [epochDigest(runEpoch(json as EpochInput, { mode }))]
}

/** The worker's path: rows packed into typed arrays and back, then the same epoch. */
function runLikeWorker(json: unknown, mode: EpochMode): string[] {
  return [epochDigest(runEpoch(unpackInput(packInput(json as EpochInput).message), { mode }))]
}

function outcomeOf(run: () => string[]): string[] | string {
  try {
    return run()
  } catch (err) {
    if (err instanceof YumaInputError) return `error:${fieldOf(err)}`
    throw err
  }
}

test(`Yuma inputs: ${N} mutated inputs yield epochs or a YumaInputError naming the field; the worker path agrees`, async () => {
  const rng = new Rng(0x7a11)
  let viaWorker = 0
  let epochs = 0
  const report = await fuzz(
    'yuma input (yuma run / worker)',
    N,
    (i) => {
      const k = i % pool.length
      const mode: EpochMode = rng.chance(0.5) ? 'exact' : 'fast'
      if (rng.chance(0.2)) {
        // JSON text mutated as bytes: what a file or stdin may hold.
        const text = new TextDecoder().decode(mutateBytes(rng, texts[k], texts))
        return { mode, text }
      }
      const value = pool[k] as { initial?: unknown; steps?: unknown[] }
      if (value.steps !== undefined && value.steps.length > 0 && rng.chance(0.5)) {
        // Mutate one step as a value of its own: step fields (bonds, reset_bonds_for_uid, …) get hit often.
        const steps = value.steps.slice()
        const j = rng.int(steps.length)
        const base = rng.chance(0.3) ? rng.pick(resetSteps) : steps[j]
        steps[j] = mutateJson(rng, base, [...allSteps, ...singles], { keys: STEP_KEYS })
        return { mode, json: { ...value, steps } }
      }
      return { mode, json: mutateJson(rng, value, pool, { keys: KEYS }) }
    },
    (x) => {
      const { mode, text, json: given } = x as { mode: EpochMode; text?: string; json?: unknown }
      let json = given
      if (text !== undefined) {
        try {
          json = JSON.parse(text)
        } catch (err) {
          if (err instanceof SyntaxError) return 'not_json' // the CLI's exit 2
          throw err
        }
      }
      const cli = outcomeOf(() => runLikeCli(json, mode))
      const isSequence = typeof json === 'object' && json !== null && 'initial' in json && 'steps' in json
      if (!isSequence && rng.chance(0.25)) {
        viaWorker++
        assert.deepEqual(outcomeOf(() => runLikeWorker(json, mode)), cli, 'the worker path agrees with the direct one')
      }
      if (typeof cli === 'string') return cli.startsWith('error:steps') ? 'error:steps…' : cli
      epochs += cli.length
      return 'accepted'
    },
  )
  console.log(formatReport(report), `| epochs run ${epochs}; checked through the worker path ${viaWorker}`)
  assert.deepEqual(report.crashes, [])
  assert.equal(report.crashCount, 0)
  assert.ok(report.accepted > 0 && Object.keys(report.rejected).length > 10)
})
