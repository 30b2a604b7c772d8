import { runEpoch } from './epoch.ts'
import { YumaInputError } from './errors.ts'
import type { EpochInput, EpochOptions, EpochOutput, EpochSequence } from './types.ts'

/**
 * Runs epochs in order, carrying state as the chain does: the previous epoch's stored bonds and
 * new validator permits become the next input's `bonds` and `validator_permit`, and its block
 * becomes `last_mechanism_step_block`, unless a step overrides them. A step's `hyperparams` are
 * merged over the previous ones; `reset_bonds_for_uid: j` drops column j from every bond row
 * before that step's epoch (the chain's bond reset).
 *
 * @example runEpochSequence({ initial, steps: [{ block: initial.block + 360 }] }).length // 2
 */
export function runEpochSequence(seq: EpochSequence, options: EpochOptions = {}): EpochOutput[] {
  if (typeof seq !== 'object' || seq === null || !Array.isArray(seq.steps)) {
    throw new YumaInputError('steps', 'a sequence needs { initial, steps: [...] }')
  }
  let input: EpochInput = seq.initial
  let output = runEpoch(input, options)
  const outputs = [output]
  seq.steps.forEach((step, s) => {
    if (typeof step !== 'object' || step === null) throw new YumaInputError(`steps[${s}]`, 'expected an object')
    const { reset_bonds_for_uid: reset, ...overrides } = step
    const next: EpochInput = {
      ...input,
      bonds: output.bonds_u16,
      validator_permit: output.new_validator_permit,
      last_mechanism_step_block: input.block,
      ...overrides,
      hyperparams: { ...input.hyperparams, ...overrides.hyperparams },
    }
    if (reset !== undefined) {
      if (!Number.isInteger(reset)) throw new YumaInputError(`steps[${s}].reset_bonds_for_uid`, 'expected a uid')
      // Only well-shaped rows and pairs are filtered; anything else is left for the epoch's
      // validation to name (filtering it threw a TypeError instead).
      const bonds: unknown = next.bonds ?? []
      if (Array.isArray(bonds)) {
        next.bonds = bonds.map((row: unknown) => (Array.isArray(row) ? row.filter((pair: unknown) => !Array.isArray(pair) || pair[0] !== reset) : row)) as EpochInput['bonds']
      }
    }
    input = next
    try {
      output = runEpoch(input, options)
    } catch (err) {
      if (err instanceof YumaInputError) throw new YumaInputError(`steps[${s}].${err.field}`, err.detail)
      throw err
    }
    outputs.push(output)
  })
  return outputs
}
