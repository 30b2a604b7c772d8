import type { ChainClient, EpochResult, Metagraph } from '../chain/index.ts'
import { loadModelInWorker, type ModelRunner } from '../inference/index.ts'
import { loadOrCreateHotkey, type SecretStore } from '../identity/identity.ts'
import type { SubnetManifest } from '../subnet/manifest.ts'
import { createMinerNode, type MinerNode } from '../node/miner.ts'
import { createValidatorNode, type ValidatorNode, type ValidatorStats } from '../node/validator.ts'
import { joinSubnet } from '../node/join.ts'
import type { IceServer } from '../p2p/index.ts'
import { createYumaWorker } from '../scoring/index.ts'
import { U16_MAX } from '../scoring/weights.ts'

/** What `/api/config` of a webtensor server returns. */
export interface ServerConfig {
  netuid: number
  relay: string[]
  /** STUN/TURN servers for WebRTC (absent from older servers). */
  iceServers?: IceServer[]
  manifest: SubnetManifest
  models: { localModelPath: string; wasmPaths: string }
}

export interface NeuronRow {
  uid: number
  hotkey: string
  stake: string
  validatorPermit: boolean
  incentive: number
  dividends: number
}

export interface SessionState {
  phase: 'idle' | 'starting' | 'loading-model' | 'joining' | 'mining' | 'validating' | 'error'
  /** The role this page plays, and why (a validator permit on the chain decides). */
  role: 'miner' | 'validator' | null
  roleReason: string | null
  /** When validating: what this page's validator has sent, verified and scored. */
  validator: Pick<ValidatorStats, 'queriesSent' | 'answersVerified' | 'verdicts' | 'failures' | 'scores' | 'weightsSet'> | null
  error: string | null
  hotkey: string | null
  device: string | null
  deviceReason: string | null
  /** Model download/load progress, 0..1. */
  progress: number
  progressFile: string | null
  peers: number
  uid: number | null
  queriesAnswered: number
  lastScore: number | null
  incentive: number | null
  dividends: number | null
  epoch: number | null
  block: number | null
  /** The page's own recomputation of the latest epoch in its Yuma worker. */
  verified: { epoch: number; ok: boolean; detail: string } | null
  neurons: NeuronRow[]
}

export const initialState: SessionState = {
  phase: 'idle', role: null, roleReason: null, validator: null, error: null, hotkey: null, device: null, deviceReason: null, progress: 0, progressFile: null, peers: 0,
  uid: null, queriesAnswered: 0, lastScore: null, incentive: null, dividends: null, epoch: null, block: null, verified: null, neurons: [],
}

export interface MiningSession {
  stop(): Promise<void>
}

/** The first metagraph the owner publishes after joining, or null after `timeoutMs`. */
function firstMetagraph(chain: ChainClient, timeoutMs: number): Promise<Metagraph | null> {
  const now = chain.metagraph()
  if (now !== null) return Promise.resolve(now)
  return new Promise((resolve) => {
    const timer = setTimeout(() => (off(), resolve(null)), timeoutMs)
    const off = chain.onMetagraph((m) => {
      clearTimeout(timer)
      off()
      resolve(m)
    })
  })
}

/**
 * Everything that "Start mining" does, in order: the hotkey (kept in `store` across reloads), the
 * model in its worker (WebGPU when a real adapter exists, else WASM), the mesh through the relay,
 * the role the chain gives the hotkey (validator with a permit, else miner), and the check of each
 * epoch by recomputing it in the Yuma worker.
 */
export async function startMiningSession(options: {
  origin: string
  store: SecretStore
  onState: (patch: Partial<SessionState>) => void
}): Promise<MiningSession> {
  const { onState } = options
  onState({ phase: 'starting', error: null })
  const config = (await (await fetch(new URL('/api/config', options.origin))).json()) as ServerConfig
  const { manifest } = config
  const hotkey = await loadOrCreateHotkey(options.store)
  onState({ hotkey: hotkey.address, phase: 'loading-model' })

  const runner: ModelRunner = await loadModelInWorker({
    modelId: manifest.model.id,
    localModelPath: new URL(config.models.localModelPath, options.origin).href,
    wasmPaths: new URL(config.models.wasmPaths, options.origin).href,
    allowRemote: manifest.model.source === 'hub',
    ...(manifest.model.remoteHost === undefined ? {} : { remoteHost: manifest.model.remoteHost }),
    ...(manifest.model.integrity === null ? {} : { integrity: manifest.model.integrity }),
    device: 'auto',
    onProgress: (p) => onState({ progress: p.progress, progressFile: p.file }),
  })
  onState({ device: runner.device, deviceReason: runner.deviceReason, progress: 1, phase: 'joining' })

  // The relay's address decides whether private addresses may be dialled (only on a local subnet).
  const { mesh, chain } = await joinSubnet({ manifest, signer: hotkey, bootstrap: config.relay, iceServers: config.iceServers ?? [] })
  // Diagnostics (devtools, tests) can reach the live mesh: addEventListener('webtensor:mesh', (e) => e.detail).
  globalThis.dispatchEvent(new CustomEvent('webtensor:mesh', { detail: mesh }))
  mesh.onStats((s) => onState({ peers: s.peers }))
  onState({ peers: mesh.stats().peers })
  // The chain decides the role: a hotkey with a validator permit validates, any other mines.
  const first = await firstMetagraph(chain, manifest.chain.blockTimeMs * 10 + 10_000)
  const self = first?.neurons.find((n) => n.hotkey === hotkey.address)
  let role: MinerNode | ValidatorNode
  if (self?.validatorPermit === true) {
    onState({ role: 'validator', roleReason: `this hotkey is uid ${self.uid} with a validator permit (stake ${self.stake} rao): it queries miners and sets weights`, uid: self.uid })
    const validator = createValidatorNode({ manifest, mesh, chain, runner, signer: hotkey, agent: `webtensor-browser (${runner.device})` })
    const timer = setInterval(() => {
      const s = validator.stats()
      onState({ validator: { queriesSent: s.queriesSent, answersVerified: s.answersVerified, verdicts: s.verdicts, failures: s.failures, scores: s.scores, weightsSet: s.weightsSet } })
    }, 1000)
    await validator.start()
    role = { ...validator, stop: async () => (clearInterval(timer), validator.stop()) }
    onState({ phase: 'validating', peers: mesh.stats().peers })
  } else {
    onState({
      role: 'miner',
      roleReason: first === null ? 'no metagraph from the subnet owner yet: this page mines (a validator permit is only seen in a metagraph)' : 'this hotkey holds no validator permit: it answers validators\' queries',
    })
    const miner = createMinerNode({ manifest, mesh, chain, runner, signer: hotkey, agent: `webtensor-browser (${runner.device})` })
    miner.onUpdate((s) => onState({ uid: s.uid, queriesAnswered: s.queriesAnswered, lastScore: s.lastScore, incentive: s.incentive, dividends: s.dividends, epoch: s.epoch }))
    await miner.start()
    role = miner
    onState({ phase: 'mining', peers: mesh.stats().peers })
  }

  let metagraph: Metagraph | null = null
  let epoch: EpochResult | null = null
  const table = (): NeuronRow[] =>
    (metagraph?.neurons ?? []).map((n) => ({
      uid: n.uid,
      hotkey: n.hotkey,
      stake: n.stake,
      validatorPermit: n.validatorPermit,
      incentive: (epoch?.incentive[n.uid] ?? 0) / U16_MAX,
      dividends: (epoch?.dividends[n.uid] ?? 0) / U16_MAX,
    }))
  chain.onMetagraph((m) => {
    metagraph = m
    onState({ block: m.block, neurons: table() })
  })

  const yuma = createYumaWorker()
  chain.onEpoch((e) => {
    epoch = e
    onState({ neurons: table() })
    verifyEpoch(e).then((v) => onState({ verified: v }), (err: unknown) => onState({ verified: { epoch: e.epoch, ok: false, detail: String(err) } }))
  })

  // The owner signed the digests of the epoch's input and output; the input itself comes from the
  // server. If its digest matches the signed one, recomputing it here checks the signed rewards.
  async function verifyEpoch(e: EpochResult): Promise<SessionState['verified']> {
    const res = await fetch(new URL('/api/epochs/recent', options.origin))
    const record = ((await res.json()) as { epoch: number; input: unknown }[]).find((r) => r.epoch === e.epoch)
    if (record === undefined) return { epoch: e.epoch, ok: false, detail: 'epoch input not available' }
    const inputDigest = await yuma.epochDigest(record.input as never)
    if (e.inputDigest !== undefined && inputDigest !== e.inputDigest) {
      return { epoch: e.epoch, ok: false, detail: 'the served input does not match the signed input digest' }
    }
    const output = await yuma.runEpoch(record.input as never, { mode: 'exact' })
    const digest = await yuma.epochDigest(output)
    return digest === e.digest
      ? { epoch: e.epoch, ok: true, detail: `recomputed in the Yuma worker: digest ${digest.slice(0, 12)}… matches` }
      : { epoch: e.epoch, ok: false, detail: `recomputed digest ${digest.slice(0, 12)}… differs from the signed ${e.digest.slice(0, 12)}…` }
  }

  return {
    async stop() {
      await role.stop()
      await mesh.stop()
      await runner.dispose()
      yuma.terminate()
    },
  }
}
