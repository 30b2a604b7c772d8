export type { ChainClient, ChainInfo, ChainSessionRef, EpochResult, Metagraph, NeuronInfo } from './types.ts'
export { LocalChain, ChainError, blocksUntilNextEpoch } from './local-chain.ts'
export type { EpochFunction, LocalEpochInput, LocalEpochOutput, LocalEpochRecord } from './local-chain.ts'
