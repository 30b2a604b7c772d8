/** Public types of the inference layer (see `index.ts`). */
import type { ThreadChoice } from './thread-choice.ts'

export type { ThreadChoice, ThreadTiming } from './thread-choice.ts'

export type Device = 'webgpu' | 'wasm' | 'cpu'

/** One progress event while loading: bytes of one file, and the overall fraction. */
export interface LoadProgress {
  /** Path inside the model folder, e.g. `onnx/model.onnx`; empty for the final `ready` event. */
  file: string
  loaded: number
  total: number
  /** Overall 0..1 over all files (by bytes where sizes are known). */
  progress: number
  /** `download`: bytes arriving from a remote host; `load`: reading from cache/local and building the session; `ready`: done. */
  status: 'download' | 'load' | 'ready'
  /**
   * On a file's last event when it came from the browser's cache: `trusted` when its stored record
   * (size, sha256, and the stored file's size and lastModified at verification) vouched for it, so
   * it was not hashed again; `rehashed` when it was hashed against the manifest.
   */
  cached?: 'trusted' | 'rehashed'
}

export interface ModelSourceOptions {
  /** Node: a folder holding `<modelId>/...`; browser: a URL prefix like `/models/`. */
  localModelPath?: string
  /** Hugging Face hub or a mirror (our relay); files are read from `<remoteHost>/<modelId>/resolve/main/<file>`. */
  remoteHost?: string
  /** Whether the remote host may be asked at all (default: true only when `remoteHost` is given). */
  allowRemote?: boolean
  /**
   * Keep verified files so the next load needs no download (default true): in the browser the
   * Origin Private File System (Cache API where OPFS is missing), in Node a folder.
   */
  cache?: boolean
}

/** Pins a model: the size and sha256 (lower-case hex) of each file, by path inside the model folder. */
export interface ModelIntegrity {
  files: Record<string, { size: number; sha256: string }>
}

/** Weight formats of a model's ONNX files, as transformers.js selects them by `dtype`. */
export type ModelDtype = 'fp32' | 'fp16' | 'q8' | 'q4' | 'q4f16'

export const MODEL_DTYPES: readonly ModelDtype[] = ['fp32', 'fp16', 'q8', 'q4', 'q4f16']

export interface LoadOptions extends ModelSourceOptions {
  /** e.g. `webtensor/tiny-gpt2` */
  modelId: string
  /** Which ONNX file to run (default fp32): every peer of a subnet runs the manifest's. */
  dtype?: ModelDtype
  device?: 'auto' | Device
  /** Browser: URL prefix where `ort-wasm*.{mjs,wasm}` are served, e.g. `/ort/`. */
  wasmPaths?: string
  integrity?: ModelIntegrity
  onProgress?: (p: LoadProgress) => void
  /**
   * Which onnxruntime-web WASM build to load from `wasmPaths`: `asyncify` (needed for WebGPU) or
   * `plain` (no asyncify instrumentation); `auto` (default) picks by device.
   */
  wasmFlavor?: 'auto' | 'asyncify' | 'plain'
  /**
   * Browser: stops the load (downloads included; a partial download is kept for a later load to
   * resume, never used as a whole file). The load rejects with `ModelLoadError`, code `cancelled`.
   */
  signal?: AbortSignal
  /**
   * Browser: how onnxruntime-web's `.wasm` is fetched and compiled. `streaming` (default):
   * `WebAssembly.instantiateStreaming` from `wasmPaths`, so Chromium keeps the compiled code with
   * the HTTP cache entry (serve `/ort/` cacheable) and a warm load skips compiling. `cache-api`:
   * transformers.js' copy in the Cache API, compiled from bytes on every load.
   */
  wasmLoading?: 'streaming' | 'cache-api'
  /** onnxruntime graph optimisation level at session creation (default `all`; lower levels create sessions faster and may run slower). */
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all'
  /**
   * Node: onnxruntime-node intra-op threads (default: one per core; `auto` is that default).
   * Browser: WASM threads (default 1 — on two cores a second thread slowed per-token decoding
   * here). `auto` (worker loads): time short generates at 1 and 2 threads when cross-origin
   * isolated (on a first use 2 in the background while 1 serves), keep the faster, and remember
   * the choice per model, dtype and core count (`ModelRunner.threads` says what was chosen and why).
   */
  numThreads?: number | 'auto'
}

export interface GenerateRequest {
  prompt: string
  maxNewTokens: number
  /** Default true. False samples from softmax(logits / temperature), seeded. */
  greedy?: boolean
  /** Sampling seed (default 0). */
  seed?: number
  /** Sampling temperature (default 1). */
  temperature?: number
  /** How many top log-probabilities to report per generated position (default 5). */
  topK?: number
}

export interface GenerateResult {
  text: string
  promptTokenIds: number[]
  tokenIds: number[]
  /** Log-probability of each chosen token under the model (temperature 1), what `score` recomputes. */
  logprobs: number[]
  /** Per generated position, the top-k `[tokenId, logprob]` pairs, best first. */
  topLogprobs: [number, number][][]
}

/** How the tokens being scored were supposedly chosen, so `score` can replay the choice. */
export interface ScoreSampling {
  /** As in `GenerateRequest` (default true). */
  greedy?: boolean
  seed?: number
  temperature?: number
  /**
   * Float noise allowed at a choice: when sampling, a share of the probability mass around the
   * draw; when greedy, a logit difference from the best. See `sampleCandidates`.
   */
  tolerance: number
}

export interface ScoreRequest {
  prompt: string
  tokenIds: number[]
  /** Replay the generator's choices too (fills `candidates`). */
  sampling?: ScoreSampling
}

export interface ScoreResult {
  /** Teacher-forced log-probability of each given token after the prompt and the tokens before it. */
  logprobs: number[]
  /** The greedy token at each position. */
  argmax: number[]
  /**
   * With `sampling`: per position, the token this model's generator picks (first), then any
   * others within the tolerance of the choice. A token outside its list was not generated so.
   */
  candidates?: number[][]
  /** Whether the last given token is an end-of-sequence token (a shorter answer must end with one). */
  endsWithEos: boolean
}

/** Where a load's time went (ms), as the loader saw it; fields it could not observe are absent. */
export interface LoadTimings {
  /** The whole load as the caller saw it (page side for a worker load). */
  totalMs: number
  /** Page side: from creating the worker to the worker starting the load (script fetch, module evaluation). */
  workerStartMs?: number
  /** Choosing the device (WebGPU adapter probe). */
  deviceMs?: number
  /** Tokenizer files read and the tokenizer built (in the browser, alongside the model files). */
  tokenizerMs?: number
  /** The ONNX file(s): from the start of the model's load (after config.json) to their last byte read or received. */
  modelFilesMs?: number
  /** From that last byte to ready: a download's hash check, session creation (and the runtime start if still running), cache writes. */
  sessionMs?: number
  /** WASM in the browser: starting onnxruntime's runtime, run alongside the file reads (`web/ort-warmup.ts`). */
  runtimeStartMs?: number
}

export interface ModelRunner {
  readonly modelId: string
  readonly device: Device
  readonly deviceReason: string
  /** Where the load's time went (absent where the loader does not measure it). */
  readonly loadTimings?: LoadTimings
  /** Browser worker loads: the WASM thread count used and why (it changes once `threadsSettled` resolves). */
  readonly threads?: ThreadChoice
  /**
   * `numThreads: 'auto'` on a first use: the runner serves at once with 1 thread while more are
   * timed in the background; this resolves with the final choice, after the runner switched to the
   * faster worker by itself. Absent when the choice was made before the load returned.
   */
  readonly threadsSettled?: Promise<ThreadChoice>
  generate(r: GenerateRequest): Promise<GenerateResult>
  score(r: ScoreRequest): Promise<ScoreResult>
  /** Present for encoder models: mean-pooled, L2-normalised vectors (an empty text gives the zero vector). */
  embed?(texts: string[]): Promise<number[][]>
  /** Stops the running request at the next token; it rejects with `InferenceCancelledError`. */
  cancel(): void
  dispose(): Promise<void>
}
