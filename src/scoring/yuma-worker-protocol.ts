import type { EpochInput, EpochOptions, EpochOutput } from './yuma/types.ts'

/** What a Yuma worker offers the page; every call runs off the main thread. */
export interface YumaWorkerApi {
  runEpoch(input: EpochInput, options?: EpochOptions): Promise<EpochOutput>
  epochDigest(output: EpochOutput): Promise<string>
}

/** The proportion fields, packed back-to-back into one transferable Float64Array. */
export const PACKED_FIELDS = ['stake', 'active_stake', 'consensus', 'validator_trust', 'ranks', 'incentive', 'dividends'] as const

/** An output with its proportion arrays moved into `packed` (n values per field, in PACKED_FIELDS order). */
export type PackedEpochOutput = Omit<EpochOutput, (typeof PACKED_FIELDS)[number]> & { packed: Float64Array }

/** Moves the proportion arrays into one Float64Array so the worker can transfer, not copy, them. */
export function packOutput(out: EpochOutput): PackedEpochOutput {
  const packed = new Float64Array(PACKED_FIELDS.length * out.n)
  PACKED_FIELDS.forEach((f, k) => packed.set(out[f], k * out.n))
  const rest: Record<string, unknown> = { ...out }
  for (const f of PACKED_FIELDS) delete rest[f]
  return { ...(rest as Omit<EpochOutput, (typeof PACKED_FIELDS)[number]>), packed }
}

/** Inverse of `packOutput`, keeping EpochOutput's key order so digests and deep-equality agree. */
export function unpackOutput(p: PackedEpochOutput): EpochOutput {
  const field = (k: number) => Array.from(p.packed.subarray(k * p.n, (k + 1) * p.n))
  return {
    n: p.n,
    stake: field(0),
    active_stake: field(1),
    consensus: field(2),
    validator_trust: field(3),
    ranks: field(4),
    incentive: field(5),
    dividends: field(6),
    active: p.active,
    new_validator_permit: p.new_validator_permit,
    bonds_u16: p.bonds_u16,
    server_emission: p.server_emission,
    validator_emission: p.validator_emission,
    combined_emission: p.combined_emission,
    u16: p.u16,
  }
}

/** The worker's side of the comlink channel. */
export interface YumaWorkerEndpoint {
  runEpochPacked(input: EpochInput, options?: EpochOptions): PackedEpochOutput
  epochDigest(output: EpochOutput): string
}
