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
export { chainRules, epochIndex, type ChainRules, type RegistrationWork } from './local-chain.ts'
export {
  LogReplay,
  LogWriter,
  LogError,
  applyCall,
  decodeCall,
  entryHash,
  parseLogLines,
  logLine,
  publicManifest,
  digestOf,
  toHex,
  fromHex,
  CALL_KINDS,
  type LogEntry,
  type EntryBody,
  type CallResult,
  type CallKind,
  type Divergence,
  type ReplayedEpoch,
  type PublicManifest,
} from './log.ts'
export { createOwnerNode, memoryLogStore, OwnerLogError, type OwnerNode, type OwnerNodeOptions, type LogStore } from './owner-node.ts'
export { createHttpChainClient, parseChainState, HttpChainError, type ChainStateSnapshot, type HttpChainClient, type HttpChainOptions } from './http-chain-client.ts'
export { sdkMetagraph, type SdkNeuron, type EpochExtras } from './sdk-metagraph.ts'
// The subtensor client: this face is light; connectSubtensor loads @polkadot/api when called.
export { connectSubtensor, SubtensorError } from './subtensor/index.ts'
export type { SubtensorClient, SubtensorEpochResult, SubtensorHyperparams, SubtensorOptions } from './subtensor/index.ts'
