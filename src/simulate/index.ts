/**
 * Subnet simulation: a scenario (cast of honest and adversarial peers, faults, expectations), run
 * in math mode (simulated scores, fast Yuma, up to 4096 uids) or — later — exact mode (a real
 * relay, owner and peers), and a report (report.json + a self-contained report.html).
 */
export {
  BEHAVIOURS,
  MINER_BEHAVIOURS,
  VALIDATOR_BEHAVIOURS,
  OTHER_BEHAVIOURS,
  EXPECTATION_KINDS,
  METRICS,
  MAX_UIDS,
  SCENARIO_KEYS,
  GROUP_KEYS,
  PEER_HOSTS,
  FAULT_KEYS,
  EXPECTATION_KEYS,
  HYPERPARAM_NAMES,
  ScenarioError,
  parseScenario,
  parseHyperparams,
  runHyperparams,
  describeExpectation,
  initialUids,
  type Behaviour,
  type PeerHost,
  type CastGroup,
  type Expectation,
  type Fault,
  type Metric,
  type Scenario,
  type SimulationMode,
  type Variant,
} from './scenario.ts'
export { runMath, neuronToPrune, churnOnline, type MathOptions, type MathProgress } from './math.ts'
export { evaluateExpectations, type ExpectationResult, type ExpectationStatus } from './expectations.ts'
export { buildReport, reportJsonFromHtml, escapeHtml, scriptJson, REPORT_FORMAT, REPORT_DATA_ID, type ReportJson } from './report.ts'
export type { BehaviourSummary, PeerWindow, RunResult, RunSeries, SimulationResult, TabFigures } from './run.ts'
export { Rng, clamp01 } from './rng.ts'
export {
  JOIN_TOKEN_ENV,
  MAX_SHARDS,
  MAX_REPORT_BYTES,
  ShardError,
  parseShard,
  shardOfPeer,
  shardPeers,
  parseWorkerReport,
  parseCoordinatorReply,
  scenarioCanonical,
  type Shard,
  type WorkerReport,
  type CoordinatorReply,
  type CoordinatorPhase,
  type PeerReport,
  type ValidatorReport,
  type MinerAddress,
} from './shard.ts'

/** The scenarios shipped in `subnets/scenarios/` (`webtensor simulate NAME`). */
export const BUILTIN_SCENARIOS = ['honest', 'cheaters', 'validators', 'chaos', 'sybil', 'cheaters-exact', 'faults-exact', 'honest-tabs'] as const
