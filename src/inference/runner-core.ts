/**
 * The model runner over transformers.js objects, shared by Node and the browser worker. Decoding
 * is our own loop over the model's forward pass with a KV cache, rather than `model.generate`, so
 * that we get raw logits at every step (log-probabilities, top-k), seeded sampling, and a cancel
 * check between tokens.
 */
import { DynamicCache, Tensor } from '@huggingface/transformers'
import { InferenceCancelledError, InferenceRequestError } from './errors.ts'
import { argmax, greedyCandidates, logSumExp, meanPoolNormalize, sampleCandidates, sampleIndex, topLogprobs } from './logprobs.ts'
import { Prng } from './prng.ts'
import type { Device, GenerateRequest, GenerateResult, LoadTimings, ModelRunner, ScoreRequest, ScoreResult } from './types.ts'

/** The slice of a transformers.js tokenizer we use. */
export interface TokenizerLike {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[]
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string
  (texts: string[], options: { padding: boolean; truncation: boolean }): { input_ids: Tensor; attention_mask: Tensor }
}

/** The slice of a transformers.js model we use: the forward pass and disposal. */
export interface ModelLike {
  forward(inputs: Record<string, unknown>): Promise<Record<string, Tensor>>
  dispose(): Promise<unknown>
  config: { vocab_size?: number; eos_token_id?: number | number[]; n_positions?: number; max_position_embeddings?: number }
}

export type ModelKind = 'causal-lm' | 'encoder'

export interface RunnerParts {
  modelId: string
  device: Device
  deviceReason: string
  loadTimings?: LoadTimings
  kind: ModelKind
  tokenizer: TokenizerLike
  model: ModelLike
}

/**
 * Lets queued tasks (a `cancel` message from the page) run between decoding steps: in a worker,
 * onnxruntime-web's run can settle through microtasks only, which would starve the message queue.
 * A MessageChannel round trip is a task without setTimeout's 4 ms clamping.
 */
function yieldToTasks(): Promise<void> {
  if (typeof MessageChannel === 'undefined' || (typeof process !== 'undefined' && process.release?.name === 'node')) {
    return new Promise((r) => setImmediate(r))
  }
  return new Promise((r) => {
    const ch = new MessageChannel()
    ch.port1.onmessage = () => {
      ch.port1.close()
      r()
    }
    ch.port2.postMessage(null)
  })
}

const int64 = (ids: number[]) => new Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [1, ids.length])
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)

/** Builds the runner for loaded parts; `embed` exists only for encoders. */
export function createRunner(parts: RunnerParts): ModelRunner {
  const core = new RunnerCore(parts)
  const runner: ModelRunner = {
    modelId: parts.modelId,
    device: parts.device,
    deviceReason: parts.deviceReason,
    ...(parts.loadTimings ? { loadTimings: parts.loadTimings } : {}),
    generate: (r) => core.serial(() => core.generate(r)),
    score: (r) => core.serial(() => core.score(r)),
    cancel: () => core.cancel(),
    dispose: () => core.dispose(),
  }
  if (parts.kind === 'encoder') runner.embed = (texts) => core.serial(() => core.embed(texts))
  return runner
}

class RunnerCore {
  private queue: Promise<unknown> = Promise.resolve()
  private cancelEpoch = 0
  private disposed = false
  constructor(private readonly parts: RunnerParts) {}

  /** One request at a time: an ONNX session must not run two decodes interleaved. */
  serial<T>(task: () => Promise<T>): Promise<T> {
    if (this.disposed) return Promise.reject(new InferenceRequestError('runner is disposed'))
    const epoch = this.cancelEpoch
    const run = this.queue.then(() => {
      if (epoch !== this.cancelEpoch) throw new InferenceCancelledError()
      return task()
    })
    this.queue = run.catch(() => undefined)
    return run
  }

  cancel(): void {
    this.cancelEpoch++
  }

  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    this.cancelEpoch++
    await this.queue
    await this.parts.model.dispose()
  }

  private requireCausal(what: string): void {
    if (this.parts.kind !== 'causal-lm') throw new InferenceRequestError(`${what}: ${this.parts.modelId} is an encoder, not a causal LM`)
  }

  private encodePrompt(prompt: string): number[] {
    if (typeof prompt !== 'string' || prompt.length === 0) throw new InferenceRequestError('prompt must be a non-empty string')
    const ids = this.parts.tokenizer.encode(prompt, { add_special_tokens: false })
    if (ids.length === 0) throw new InferenceRequestError('prompt encodes to no tokens')
    return ids
  }

  private get maxPositions(): number {
    const c = this.parts.model.config
    return c.n_positions ?? c.max_position_embeddings ?? Number.MAX_SAFE_INTEGER
  }

  private get eosIds(): Set<number> {
    const eos = this.parts.model.config.eos_token_id
    return new Set(eos === undefined ? [] : Array.isArray(eos) ? eos : [eos])
  }

  /** One forward pass of `ids` after `pastLength` cached positions; returns the logits [n, V]. */
  private async forward(ids: number[], pastLength: number, cache: DynamicCache): Promise<{ logits: Float32Array; vocab: number }> {
    const outputs = await this.parts.model.forward({
      input_ids: int64(ids),
      attention_mask: int64(new Array<number>(pastLength + ids.length).fill(1)),
      position_ids: int64(range(pastLength, ids.length)),
      past_key_values: cache,
    })
    const present: Record<string, Tensor> = {}
    for (const [name, t] of Object.entries(outputs)) {
      if (name.startsWith('present')) present[name.replace('present', 'past_key_values')] = t
    }
    // update() disposes GPU-resident tensors it replaces, so WebGPU memory stays flat.
    cache.update(present)
    // Models exported with float16 outputs (fp16 and q4f16 files without the converter's
    // keep_io_types) hand out float16 logits: widen them, never read their bits as float32.
    const logits = outputs.logits.type === 'float32' ? outputs.logits : outputs.logits.to('float32')
    const vocab = logits.dims[2]
    const data = logits.data as Float32Array
    return { logits: data, vocab }
  }

  private checkCancelled(epoch: number): void {
    if (epoch !== this.cancelEpoch) throw new InferenceCancelledError()
  }

  async generate(r: GenerateRequest): Promise<GenerateResult> {
    this.requireCausal('generate')
    const epoch = this.cancelEpoch
    if (!Number.isInteger(r.maxNewTokens) || r.maxNewTokens < 0) throw new InferenceRequestError('maxNewTokens must be a non-negative integer')
    const greedy = r.greedy ?? true
    const temperature = r.temperature ?? 1
    if (!greedy && !(temperature > 0)) throw new InferenceRequestError('temperature must be > 0 when sampling')
    const k = r.topK ?? 5
    const promptIds = this.encodePrompt(r.prompt)
    const budget = Math.min(r.maxNewTokens, this.maxPositions - promptIds.length)
    if (budget < 0) throw new InferenceRequestError(`prompt has ${promptIds.length} tokens, the model takes ${this.maxPositions}`)
    const rng = new Prng(r.seed ?? 0)
    const eos = this.eosIds
    const tokenIds: number[] = []
    const logprobs: number[] = []
    const top: [number, number][][] = []
    const cache = new DynamicCache()
    try {
      let next = promptIds
      let past = 0
      while (tokenIds.length < budget) {
        const { logits, vocab } = await this.forward(next, past, cache)
        await yieldToTasks()
        this.checkCancelled(epoch)
        past += next.length
        const row = logits.subarray((next.length - 1) * vocab, next.length * vocab)
        const lse = logSumExp(row)
        const chosen = greedy ? argmax(row) : sampleIndex(row, temperature, rng)
        tokenIds.push(chosen)
        logprobs.push(row[chosen] - lse)
        top.push(topLogprobs(row, k, lse))
        if (eos.has(chosen)) break
        next = [chosen]
      }
    } finally {
      await cache.dispose()
    }
    const text = this.parts.tokenizer.decode(tokenIds, { skip_special_tokens: true })
    return { text, promptTokenIds: promptIds, tokenIds, logprobs, topLogprobs: top }
  }

  async score(r: ScoreRequest): Promise<ScoreResult> {
    this.requireCausal('score')
    const epoch = this.cancelEpoch
    const promptIds = this.encodePrompt(r.prompt)
    const vocabSize = this.parts.model.config.vocab_size ?? Number.MAX_SAFE_INTEGER
    if (!Array.isArray(r.tokenIds) || r.tokenIds.some((t) => !Number.isInteger(t) || t < 0 || t >= vocabSize)) {
      throw new InferenceRequestError(`tokenIds must be integers in [0, ${vocabSize})`)
    }
    const sampling = r.sampling
    if (sampling !== undefined) {
      if (!(sampling.tolerance >= 0)) throw new InferenceRequestError('sampling.tolerance must be >= 0')
      if (sampling.greedy === false && !((sampling.temperature ?? 1) > 0)) throw new InferenceRequestError('temperature must be > 0 when sampling')
    }
    if (r.tokenIds.length === 0) return { logprobs: [], argmax: [], ...(sampling === undefined ? {} : { candidates: [] }), endsWithEos: false }
    if (promptIds.length + r.tokenIds.length > this.maxPositions) {
      throw new InferenceRequestError(`prompt + tokens = ${promptIds.length + r.tokenIds.length} positions, the model takes ${this.maxPositions}`)
    }
    // Teacher forcing: one pass over prompt + all but the last token; row i predicts token i.
    const input = [...promptIds, ...r.tokenIds.slice(0, -1)]
    const cache = new DynamicCache()
    try {
      const { logits, vocab } = await this.forward(input, 0, cache)
      this.checkCancelled(epoch)
      const logprobs: number[] = []
      const best: number[] = []
      const candidates: number[][] = []
      // The generator draws once per position from this stream; replay it in the same order.
      const rng = new Prng(sampling?.seed ?? 0)
      for (let j = 0; j < r.tokenIds.length; j++) {
        const at = promptIds.length - 1 + j
        const row = logits.subarray(at * vocab, (at + 1) * vocab)
        logprobs.push(row[r.tokenIds[j]] - logSumExp(row))
        best.push(argmax(row))
        if (sampling === undefined) continue
        candidates.push(
          sampling.greedy === false
            ? sampleCandidates(row, sampling.temperature ?? 1, rng, sampling.tolerance)
            : greedyCandidates(row, sampling.tolerance),
        )
      }
      const endsWithEos = this.eosIds.has(r.tokenIds[r.tokenIds.length - 1]!)
      return { logprobs, argmax: best, ...(sampling === undefined ? {} : { candidates }), endsWithEos }
    } finally {
      await cache.dispose()
    }
  }

  async embed(texts: string[]): Promise<number[][]> {
    const epoch = this.cancelEpoch
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) throw new InferenceRequestError('texts must be strings')
    if (texts.length === 0) return []
    const enc = this.parts.tokenizer(texts, { padding: true, truncation: true })
    const outputs = await this.parts.model.forward({ input_ids: enc.input_ids, attention_mask: enc.attention_mask })
    this.checkCancelled(epoch)
    const hidden = outputs.last_hidden_state
    const [batch, seq, dim] = hidden.dims
    const data = hidden.data as Float32Array
    const mask = enc.attention_mask.data as BigInt64Array
    const out: number[][] = []
    for (let b = 0; b < batch; b++) {
      const rowMask = Array.from(mask.subarray(b * seq, (b + 1) * seq), (v) => Number(v))
      out.push(meanPoolNormalize(data.subarray(b * seq * dim, (b + 1) * seq * dim), rowMask, seq, dim))
    }
    return out
  }
}
