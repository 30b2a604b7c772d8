/**
 * Scoring: Yuma Consensus (subtensor's epoch) as a pure core, exact and fast, plus a sequence
 * runner, a digest, and a browser worker.
 */
export { runEpoch, parseEpochInput } from './yuma/epoch.ts'
export { runEpochSequence } from './yuma/sequence.ts'
export { epochDigest, canonicalEpochJson } from './yuma/digest.ts'
export { YumaInputError } from './yuma/errors.ts'
export type {
  EpochInput,
  EpochOutput,
  EpochOptions,
  EpochMode,
  EpochStep,
  EpochSequence,
  EpochU16,
  Rao,
  SparseRowU16,
  YumaHyperparams,
} from './yuma/types.ts'
export { createYumaWorker, type YumaWorkerApi } from './yuma-worker.ts'
export { syntheticEpochInput, type SyntheticOptions } from './yuma/synthetic.ts'
