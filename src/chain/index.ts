export type { ChainClient, ChainInfo, ChainSessionRef, EpochResult, Metagraph, NeuronInfo } from './types.ts'
export { LocalChain, ChainError, blocksUntilNextEpoch } from './local-chain.ts'
export type { EpochFunction, LocalEpochInput, LocalEpochOutput, LocalEpochRecord } from './local-chain.ts'
export {
  blockHashFor, createSealSearch, hashBlockAndHotkey, meetsDifficulty, sealHash, SealInputError, solveSeal, upgradedDifficulty,
} from './seal.ts'
export type { SealJob, SealSolution } from './seal.ts'
export { createInlineSolver, expectedTries, randomNonce } from './pow-solver.ts'
export type { InlineSolverOptions, PowProgress, PowSolveOptions, PowSolver } from './pow-solver.ts'
export { registerByPow } from './pow-register.ts'
export type { PowHead, PowRegisterProgress, PowWork, RegisterByPowOptions } from './pow-register.ts'
export { createWorkerSolver, PowWorkerError } from './pow-worker.ts'
