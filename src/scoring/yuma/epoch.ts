import { runEpochExact } from './exact.ts'
import { runEpochFast } from './fast.ts'
import { prepareEpoch } from './prepare.ts'
import type { EpochInput, EpochOptions, EpochOutput } from './types.ts'
import { YumaInputError } from './errors.ts'

/**
 * Runs one Yuma Consensus epoch (subtensor's sparse `epoch_mechanism`) on plain JSON input.
 * `exact` (default) reproduces the chain's fixed-point results bit for bit; `fast` is float64.
 *
 * @example runEpoch(input, { mode: 'fast' }).incentive
 */
export function runEpoch(input: EpochInput, options: EpochOptions = {}): EpochOutput {
  const mode = options.mode ?? 'exact'
  if (mode !== 'exact' && mode !== 'fast') throw new YumaInputError('mode', `expected 'exact' or 'fast', got ${JSON.stringify(mode)}`)
  const prepared = prepareEpoch(input)
  return mode === 'fast' ? runEpochFast(prepared) : runEpochExact(prepared)
}

/**
 * Validates untrusted JSON as an epoch input; throws `YumaInputError` naming the bad field.
 *
 * @example const input = parseEpochInput(JSON.parse(text))
 */
export function parseEpochInput(json: unknown): EpochInput {
  prepareEpoch(json)
  return json as EpochInput
}
