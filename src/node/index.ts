/**
 * The roles a webtensor node plays on a subnet, on top of identity, transport, chain and the
 * subnet protocol: the miner (answers permitted validators' queries) and the validator (queries,
 * verifies, sets weights).
 */
export { createMinerNode, type MinerNode, type MinerOptions, type MinerStats } from './miner.ts'
export { createValidatorNode, type ValidatorNode, type ValidatorOptions, type ValidatorStats } from './validator.ts'
export { joinSubnet } from './join.ts'
export { registerOverMesh } from './register.ts'
