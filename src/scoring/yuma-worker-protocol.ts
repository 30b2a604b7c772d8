import type { EpochInput, EpochOptions, EpochOutput, SparseRowU16 } from './yuma/types.ts'

/** What a Yuma worker offers the page; every call runs off the main thread. */
export interface YumaWorkerApi {
  runEpoch(input: EpochInput, options?: EpochOptions): Promise<EpochOutput>
  epochDigest(output: EpochOutput): Promise<string>
}

/** The proportion fields, packed back-to-back into one transferable Float64Array. */
export const PACKED_FIELDS = ['stake', 'active_stake', 'consensus', 'validator_trust', 'ranks', 'incentive', 'dividends'] as const

/**
 * An output with its proportion arrays moved into `packed` (n values per field, in PACKED_FIELDS
 * order) and its bond rows in CSR form (rows as they are in the rare case `packRows` declines them).
 */
export type PackedEpochOutput = Omit<EpochOutput, (typeof PACKED_FIELDS)[number] | 'bonds_u16'> & {
  packed: Float64Array<ArrayBuffer>
  bonds_u16: PackedRows | SparseRowU16[]
}

/**
 * Moves the proportion arrays into one Float64Array and the bond rows into CSR typed arrays, so the
 * worker transfers a few buffers (`transfer`) instead of cloning one JS array per bond.
 */
export function packOutput(out: EpochOutput): { message: PackedEpochOutput; transfer: ArrayBuffer[] } {
  const packed = new Float64Array(PACKED_FIELDS.length * out.n)
  PACKED_FIELDS.forEach((f, k) => packed.set(out[f], k * out.n))
  const rest: Record<string, unknown> = { ...out }
  for (const f of PACKED_FIELDS) delete rest[f]
  const bonds = packRows(out.bonds_u16)
  const transfer = bonds === null ? [packed.buffer] : [packed.buffer, bonds.offsets.buffer, bonds.uids.buffer, bonds.values.buffer]
  const message = { ...(rest as Omit<EpochOutput, (typeof PACKED_FIELDS)[number]>), packed, bonds_u16: bonds ?? out.bonds_u16 }
  return { message, transfer }
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
    bonds_u16: Array.isArray(p.bonds_u16) ? p.bonds_u16 : unpackRows(p.bonds_u16),
    server_emission: p.server_emission,
    validator_emission: p.validator_emission,
    combined_emission: p.combined_emission,
    u16: p.u16,
  }
}

/** The row-matrix fields of an EpochInput that travel as typed arrays. */
export const PACKED_ROW_FIELDS = ['weights', 'bonds'] as const
export type PackedRowField = (typeof PACKED_ROW_FIELDS)[number]

/** Sparse rows in CSR form: row i is pairs `offsets[i] .. offsets[i + 1]` of `uids` / `values`. */
export interface PackedRows {
  offsets: Uint32Array<ArrayBuffer>
  uids: Uint16Array<ArrayBuffer>
  values: Uint16Array<ArrayBuffer>
}

/**
 * An epoch input on its way to the worker: `input` is the caller's object, except that each field
 * named in `packed` holds `PackedRows` in place of its `[uid, u16]` pairs.
 */
export interface PackedEpochInput {
  input: Record<string, unknown>
  packed: PackedRowField[]
}

/**
 * Packs `[uid, u16]` rows into CSR typed arrays, or returns null when they would not unpack to
 * exactly the same value (not an array of arrays of pairs, or a number a Uint16Array cannot hold:
 * uid/value outside 0..65535, fractions, -0, non-numbers). Such rows then travel as they are, so
 * the worker's validation sees the caller's very value and names the bad field as before.
 */
export function packRows(rows: unknown): PackedRows | null {
  if (!Array.isArray(rows)) return null
  const offsets = new Uint32Array(rows.length + 1)
  let total = 0
  for (let i = 0; i < rows.length; i++) {
    const row: unknown = rows[i]
    if (!Array.isArray(row)) return null
    for (let k = 0; k < row.length; k++) {
      const pair: unknown = row[k]
      if (!Array.isArray(pair) || pair.length !== 2) return null
    }
    total += row.length
    offsets[i + 1] = total
  }
  const uids = new Uint16Array(total)
  const values = new Uint16Array(total)
  let at = 0
  for (const row of rows as unknown[][][]) {
    for (const pair of row) {
      // Non-numbers first: storing an object converts it (valueOf/toString), which may throw.
      if (typeof pair[0] !== 'number' || typeof pair[1] !== 'number') return null
      uids[at] = pair[0] as number
      values[at] = pair[1] as number
      // Object.is: the typed array must read back the very value stored (no wrap, rounding or -0 → 0).
      if (!Object.is(uids[at], pair[0]) || !Object.is(values[at], pair[1])) return null
      at++
    }
  }
  return { offsets, uids, values }
}

/** Inverse of `packRows`: fresh `[uid, u16]` rows in storage order. */
export function unpackRows(p: PackedRows): SparseRowU16[] {
  const rows = new Array<SparseRowU16>(p.offsets.length - 1)
  for (let i = 0; i < rows.length; i++) {
    const start = p.offsets[i]
    const row = new Array<[number, number]>(p.offsets[i + 1] - start)
    for (let k = 0; k < row.length; k++) row[k] = [p.uids[start + k], p.values[start + k]]
    rows[i] = row
  }
  return rows
}

/**
 * Packs an epoch input for the worker: weight and bond rows become CSR typed arrays (a few buffers
 * to transfer instead of one JS array per weight to clone). Lossless: `unpackInput(packInput(x).message)`
 * deep-equals `x` for any `x`, valid or not; validation stays in the worker, exactly as before.
 *
 * @example const { message, transfer } = packInput(input); remote.runEpochPacked(Comlink.transfer(message, transfer))
 */
export function packInput(input: EpochInput): { message: PackedEpochInput; transfer: ArrayBuffer[] } {
  const raw: unknown = input
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { message: { input: raw as Record<string, unknown>, packed: [] }, transfer: [] }
  const copy: Record<string, unknown> = { ...(raw as Record<string, unknown>) }
  const packed: PackedRowField[] = []
  const transfer: ArrayBuffer[] = []
  for (const field of PACKED_ROW_FIELDS) {
    const rows = Object.hasOwn(copy, field) ? packRows(copy[field]) : null
    if (rows === null) continue
    copy[field] = rows
    packed.push(field)
    transfer.push(rows.offsets.buffer, rows.uids.buffer, rows.values.buffer)
  }
  return { message: { input: copy, packed }, transfer }
}

/** Inverse of `packInput`, run in the worker: the input as the caller gave it (to be validated there). */
export function unpackInput(p: PackedEpochInput): EpochInput {
  if (p.packed.length === 0) return p.input as unknown as EpochInput
  const input: Record<string, unknown> = { ...p.input }
  for (const field of p.packed) input[field] = unpackRows(input[field] as PackedRows)
  return input as unknown as EpochInput
}

/** The worker's side of the comlink channel. */
export interface YumaWorkerEndpoint {
  runEpochPacked(input: PackedEpochInput, options?: EpochOptions): PackedEpochOutput
  epochDigest(output: EpochOutput): string
}
