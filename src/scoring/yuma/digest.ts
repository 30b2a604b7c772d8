import { sha256 } from '@noble/hashes/sha2.js'
import type { EpochOutput } from './types.ts'

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>
    return `{${Object.keys(obj).sort().filter((k) => obj[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('epochDigest: non-finite number in output')
  return JSON.stringify(value)
}

/** The canonical encoding hashed by `epochDigest`: JSON with sorted keys and no spaces. */
export function canonicalEpochJson(output: EpochOutput): string {
  return canonical(output)
}

/**
 * Hex sha256 of the output's canonical JSON, identical in Node and browsers, so peers can
 * compare an epoch's result in one line.
 *
 * @example epochDigest(runEpoch(input)) // '3f1c…'
 */
export function epochDigest(output: EpochOutput): string {
  const bytes = sha256(new TextEncoder().encode(canonical(output)))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
