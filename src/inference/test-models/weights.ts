import { streamFor } from '../prng.ts'

/**
 * Seeded uniform weights with the given standard deviation (uniform on ±std·√3), rounded to
 * float32. Uniform rather than normal so no transcendental function touches the bytes.
 */
export function uniformWeights(seed: number, name: string, size: number, std: number): Float32Array {
  const rng = streamFor(seed, name)
  const half = std * Math.sqrt(3)
  const out = new Float32Array(size)
  for (let i = 0; i < size; i++) out[i] = (rng.next() * 2 - 1) * half
  return out
}

/** `base` plus seeded uniform noise of standard deviation `std` (layer-norm gains and biases). */
export function jitter(seed: number, name: string, size: number, base: number, std: number): Float32Array {
  const w = uniformWeights(seed, name, size, std)
  for (let i = 0; i < size; i++) w[i] += base
  return w
}
