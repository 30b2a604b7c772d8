import type { EpochInput, SparseRowU16, YumaHyperparams } from './types.ts'

/** Options for `syntheticEpochInput`. */
export interface SyntheticOptions {
  n: number
  /** Uids 0..validators-1 hold stake and permits and set weights. */
  validators: number
  /** Weights per validator row; `n` (or more) means dense rows. */
  weightsPerRow: number
  seed?: number
  hyperparams?: YumaHyperparams
  /** Give every validator a bond row on a few miners (so the EMA has history). */
  withBonds?: boolean
  ownerUid?: number | null
}

/** Deterministic 32-bit PRNG (mulberry32), so generated subnets are reproducible anywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A reproducible synthetic subnet epoch: validators with random stake, weight rows max-upscaled
 * to 65535 as set_weights stores them (some explicit zeros, rows in random order), a few
 * recently registered miners, optional bonds. For benchmarks, property tests and simulations.
 *
 * @example runEpoch(syntheticEpochInput({ n: 256, validators: 128, weightsPerRow: 256 }))
 */
export function syntheticEpochInput(o: SyntheticOptions): EpochInput {
  const rand = prng(o.seed ?? 1)
  const { n, validators } = o
  const block = 100_000
  const stake = Array.from({ length: n }, (_, i) => (i < validators ? String(Math.floor(rand() * 1e15) + 1e9) : '0'))
  const row = (i: number): SparseRowU16 => {
    if (i >= validators) return []
    const k = Math.min(o.weightsPerRow, n)
    const cols = new Set<number>()
    if (k >= n) for (let j = 0; j < n; j++) cols.add(j)
    else while (cols.size < k) cols.add(Math.floor(rand() * n))
    const entries = [...cols].map((j) => [j, rand() < 0.05 ? 0 : Math.floor(rand() * 65535) + 1] as [number, number])
    const max = Math.max(1, ...entries.map(([, v]) => v))
    // set_weights max-upscales each row so its largest weight is 65535 (rounding half away from zero).
    const up = entries.map(([j, v]) => [j, Math.round((v * 65535) / max)] as [number, number])
    if (rand() < 0.5) up.sort((a, b) => a[0] - b[0])
    return up
  }
  const weights = Array.from({ length: n }, (_, i) => row(i))
  const bonds = o.withBonds
    ? Array.from({ length: n }, (_, i) => (i < validators ? weights[i].slice(0, 8).map(([j]) => [j, Math.floor(rand() * 65536)] as [number, number]) : []))
    : null
  return {
    n,
    block,
    emission: '1000000000000',
    stake,
    validator_permit: Array.from({ length: n }, (_, i) => i < validators),
    last_update: Array.from({ length: n }, (_, i) => (i < validators ? block - Math.floor(rand() * 100) : 50_000)),
    block_at_registration: Array.from({ length: n }, () => (rand() < 0.03 ? block - 10 : Math.floor(rand() * 50_000))),
    weights,
    bonds,
    owner_uid: o.ownerUid ?? null,
    last_mechanism_step_block: block - 360,
    hyperparams: { max_allowed_validators: Math.max(validators, 1), ...o.hyperparams },
  }
}
