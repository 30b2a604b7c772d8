/**
 * Benchmark measurements over a `ModelRunner`, the same code in Node and in a page (the bench
 * runs it in both), so the figures compare like with like.
 */
import type { ModelRunner } from '../types.ts'

export interface CausalFigures {
  device: string
  deviceReason: string
  coldLoadMs: number
  warmLoadMs: number
  /** Median time of a 1-token generate (prefill of the prompt + one step). */
  ttftMs: number
  /** newTokens / time of a whole generate (prefill included), median run. */
  tokensPerSec: number
  /** The same, fastest run: the least disturbed by other load on a shared machine. */
  bestTokensPerSec: number
  /** Fastest 1-token generate. */
  bestTtftMs: number
  /** (n − 1) / (generate time − ttft): the steady decoding rate. */
  decodeTokensPerSec: number
  promptTokens: number
  newTokens: number
  /** Greedy ids of the timed run, so backends can be compared for correctness. */
  tokenIds: number[]
}

export interface EmbedFigures {
  device: string
  coldLoadMs: number
  warmLoadMs: number
  batch: number
  embeddingsPerSec: number
  /** First vector's first values, for a correctness comparison across backends. */
  sample: number[]
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** A prompt of about `words` GPT-2 tokens. */
export function benchPrompt(words: number): string {
  const base = 'the network pays miners for answers that validators can check by scoring their tokens again'.split(' ')
  return Array.from({ length: words }, (_, i) => base[i % base.length]).join(' ')
}

async function timeLoads(load: (cold: boolean) => Promise<ModelRunner>): Promise<{ runner: ModelRunner; coldLoadMs: number; warmLoadMs: number }> {
  let t = performance.now()
  const first = await load(true)
  const coldLoadMs = performance.now() - t
  await first.dispose()
  t = performance.now()
  const runner = await load(false)
  return { runner, coldLoadMs, warmLoadMs: performance.now() - t }
}

/** Load times (cold, warm), time to first token and tokens/s of greedy generation. */
export async function measureCausal(
  load: (cold: boolean) => Promise<ModelRunner>,
  o: { promptWords: number; newTokens: number; repeats: number },
): Promise<CausalFigures> {
  const { runner, coldLoadMs, warmLoadMs } = await timeLoads(load)
  try {
    const prompt = benchPrompt(o.promptWords)
    await runner.generate({ prompt, maxNewTokens: 4 }) // warm-up: kernels, allocations
    const ttft: number[] = []
    const total: number[] = []
    let last = await runner.generate({ prompt, maxNewTokens: 1 })
    for (let i = 0; i < o.repeats; i++) {
      let t = performance.now()
      await runner.generate({ prompt, maxNewTokens: 1 })
      ttft.push(performance.now() - t)
      t = performance.now()
      last = await runner.generate({ prompt, maxNewTokens: o.newTokens })
      total.push(performance.now() - t)
    }
    const n = last.tokenIds.length
    const ttftMs = median(ttft)
    const totalMs = median(total)
    return {
      device: runner.device,
      deviceReason: runner.deviceReason,
      coldLoadMs,
      warmLoadMs,
      ttftMs,
      tokensPerSec: (n / totalMs) * 1000,
      bestTokensPerSec: (n / Math.min(...total)) * 1000,
      bestTtftMs: Math.min(...ttft),
      decodeTokensPerSec: ((n - 1) / Math.max(totalMs - ttftMs, 1e-3)) * 1000,
      promptTokens: last.promptTokenIds.length,
      newTokens: n,
      tokenIds: last.tokenIds,
    }
  } finally {
    await runner.dispose()
  }
}

/** Load times and embeddings/s for batches of `batch` sentences. */
export async function measureEmbed(load: (cold: boolean) => Promise<ModelRunner>, o: { batch: number; repeats: number }): Promise<EmbedFigures> {
  const { runner, coldLoadMs, warmLoadMs } = await timeLoads(load)
  try {
    if (!runner.embed) throw new Error(`${runner.modelId} has no embed`)
    const texts = Array.from({ length: o.batch }, (_, i) => `${benchPrompt(6 + (i % 10))} ${i}`)
    const first = await runner.embed(texts)
    const times: number[] = []
    for (let i = 0; i < o.repeats; i++) {
      const t = performance.now()
      await runner.embed(texts)
      times.push(performance.now() - t)
    }
    return { device: runner.device, coldLoadMs, warmLoadMs, batch: o.batch, embeddingsPerSec: (o.batch / median(times)) * 1000, sample: first[0].slice(0, 4) }
  } finally {
    await runner.dispose()
  }
}

export interface VerifyFigures {
  device: string
  newTokens: number
  /** Sampled answers of `newTokens` generated per second (median run). */
  generatedPerSec: number
  /** The same answers checked per second: one teacher-forced pass replaying the sampler (median run). */
  verifiedPerSec: number
  /** verifiedPerSec ÷ generatedPerSec: how much cheaper checking is than doing the work. */
  ratio: number
  /** Whether every generated token was among the replay's candidates (what a validator accepts). */
  allVerified: boolean
  /** Generated tokens that were the replay's first pick, and all generated tokens: the rest lay within float noise of a sampling boundary. */
  firstPicks: number
  tokens: number
}

/**
 * What a validator's check costs against a miner's work: sampled generation of `newTokens`
 * (seeded, as a miner answers a query) against `score` with the sampler replayed (as a validator
 * verifies it), on the same runner, alternating, `repeats` times with a fresh prompt and seed each.
 */
export async function measureVerify(runner: ModelRunner, o: { promptWords: number; newTokens: number; repeats: number; temperature?: number }): Promise<VerifyFigures> {
  const temperature = o.temperature ?? 1
  const gen: number[] = []
  const ver: number[] = []
  let allVerified = true
  let firstPicks = 0
  let tokens = 0
  await runner.generate({ prompt: benchPrompt(o.promptWords), maxNewTokens: 4 }) // warm-up
  for (let i = 0; i < o.repeats; i++) {
    const prompt = `${i} ${benchPrompt(o.promptWords)}`
    let t = performance.now()
    const g = await runner.generate({ prompt, maxNewTokens: o.newTokens, greedy: false, temperature, seed: 1000 + i, topK: 0 })
    gen.push(performance.now() - t)
    t = performance.now()
    const s = await runner.score({ prompt, tokenIds: g.tokenIds, sampling: { greedy: false, temperature, seed: 1000 + i, tolerance: 2e-3 } })
    ver.push(performance.now() - t)
    allVerified &&= g.tokenIds.every((id, j) => s.candidates![j]!.includes(id))
    firstPicks += g.tokenIds.filter((id, j) => s.candidates![j]![0] === id).length
    tokens += g.tokenIds.length
  }
  const generatedPerSec = 1000 / median(gen)
  const verifiedPerSec = 1000 / median(ver)
  return { device: runner.device, newTokens: o.newTokens, generatedPerSec, verifiedPerSec, ratio: verifiedPerSec / generatedPerSec, allVerified, firstPicks, tokens }
}
