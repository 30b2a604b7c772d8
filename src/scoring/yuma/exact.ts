import { WebtensorError } from '../../errors.ts'
import type { PreparedEpoch } from './prepare.ts'
import type { EpochOutput } from './types.ts'

/** The fixed-point port lands in the next commit. */
export function runEpochExact(_p: PreparedEpoch): EpochOutput {
  throw new WebtensorError('exact Yuma mode is not implemented yet', { code: 'not_implemented' })
}
