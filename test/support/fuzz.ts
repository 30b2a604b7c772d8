// A small seeded mutation fuzzer shared by the decoder fuzz tests: byte mutations (bit flips,
// inserts, deletes, truncation, splices of valid inputs, CBOR-significant bytes) and JSON value
// mutations (type confusion, huge and NaN-ish numbers, deep nesting, huge arrays, splices of valid
// pieces). Deterministic for a seed, so a failure is reproducible by its input index.

/** mulberry32: a fast seeded PRNG, good enough to pick mutations. */
export class Rng {
  private state: number
  constructor(seed: number) {
    this.state = seed >>> 0
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]
  }
  chance(p: number): boolean {
    return this.next() < p
  }
}

// Bytes that mean something to CBOR: major-type heads, indefinite lengths, 8-byte lengths, floats.
const CBOR_BYTES = [0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x3b, 0x40, 0x5f, 0x60, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc2, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff]

/** One to four stacked byte mutations of `input`; `pool` supplies valid inputs to splice from. */
export function mutateBytes(rng: Rng, input: Uint8Array, pool: readonly Uint8Array[]): Uint8Array {
  let b: Uint8Array = input.slice()
  const edits = 1 + rng.int(4)
  for (let e = 0; e < edits; e++) {
    const at = b.length === 0 ? 0 : rng.int(b.length)
    switch (rng.int(9)) {
      case 0: // bit flips
      case 1:
        if (b.length > 0) for (let k = 1 + rng.int(3); k > 0; k--) b[rng.int(b.length)] ^= 1 << rng.int(8)
        break
      case 2: // a random or CBOR-significant byte
        if (b.length > 0) b[at] = rng.chance(0.5) ? rng.int(256) : rng.pick(CBOR_BYTES)
        break
      case 3: {
        // insert a few bytes
        const ins = Uint8Array.from({ length: 1 + rng.int(8) }, () => (rng.chance(0.5) ? rng.int(256) : rng.pick(CBOR_BYTES)))
        b = concat(b.subarray(0, at), ins, b.subarray(at))
        break
      }
      case 4: // delete a range
        b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.int(16))))
        break
      case 5: // truncate
        b = b.slice(0, at)
        break
      case 6: {
        // splice: our prefix, another valid input's suffix
        const other = rng.pick(pool)
        b = concat(b.subarray(0, at), other.subarray(other.length === 0 ? 0 : rng.int(other.length)))
        break
      }
      case 7: {
        // duplicate a chunk in place
        const len = 1 + rng.int(32)
        b = concat(b.subarray(0, at), b.subarray(at, at + len), b.subarray(at))
        break
      }
      default: {
        // overwrite with a run of one byte (0x00 / 0xff runs look like lengths and floats)
        const v = rng.pick([0x00, 0xff, 0x7f, 0x80])
        for (let k = at; k < Math.min(b.length, at + 1 + rng.int(9)); k++) b[k] = v
      }
    }
  }
  return b
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

type Json = unknown

/** Arrays and objects below `value` (at most 200, at most 24 deep), with the path to each (the root's is []). */
function containers(value: Json, path: (string | number)[] = [], out: { node: object; path: (string | number)[] }[] = []): typeof out {
  if (out.length >= 200 || path.length > 24 || value === null || typeof value !== 'object') return out
  // Huge containers (the shared huge array, …) are leaves: copying them per input would dominate.
  if (Array.isArray(value) ? value.length > 5000 : Object.keys(value).length > 5000) return out
  out.push({ node: value, path })
  if (Array.isArray(value)) {
    // Long arrays: visit a handful of elements, not all.
    const n = value.length
    const idx = n <= 16 ? [...Array(n).keys()] : [0, 1, 2, n - 1, Math.floor(n / 2)]
    for (const i of idx) containers(value[i], [...path, i], out)
  } else for (const [k, v] of Object.entries(value)) containers(v, [...path, k], out)
  return out
}

/** A copy of `value` with the containers along `path` copied (the rest shared), and the copy at `path`. */
function copyAlong(value: Json, path: (string | number)[]): { root: Json; at: Record<string | number, unknown> } {
  const clone = (v: object) => (Array.isArray(v) ? v.slice() : { ...v })
  const root = clone(value as object)
  let at = root as Record<string | number, unknown>
  for (const key of path) {
    const next = clone(at[key] as object)
    at[key] = next
    at = next as Record<string | number, unknown>
  }
  return { root, at }
}

// Longer than any array a decoder accepts (u16 uid counts, token limits), shared between inputs.
const SHARED_HUGE_ARRAY = Array.from({ length: 70_000 }, (_, i) => i % 7)
const HUGE_STRING = 'x'.repeat(300_000)

function deepNest(depth: number, leaf: Json): Json {
  let v: Json = leaf
  for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v]
  return v
}
// Built once: deep values are shared between inputs (building them per input dominated the run).
const DEEP = [64, 1_000, 20_000].map((d) => deepNest(d, 1))

export interface JsonMutationOptions {
  /**
   * Use the 70,000-element array and the 300 KB string (default true). Targets that must encode
   * each input first (CBOR) turn them off: encoding them would dominate the run, and the bytes
   * would only meet a size check.
   */
  huge?: boolean
  /** Field names the target knows: added keys are picked from these half the time. */
  keys?: readonly string[]
}

/** A replacement that confuses types or stresses sizes, given the value it replaces. */
export function strangeValue(rng: Rng, old: Json, pool: readonly Json[], options: JsonMutationOptions = {}): Json {
  const huge = options.huge !== false
  switch (rng.int(14)) {
    case 0: // numbers ↔ strings
      return typeof old === 'number' ? String(old) : typeof old === 'string' && old !== '' && !Number.isNaN(Number(old)) ? Number(old) : rng.pick(['1', '0', '-1', '', '65535'])
    case 1:
      return rng.pick([null, true, false, 0, -0, 1, -1, 0.5, '', 'x', [], {}])
    case 2: // huge and edge numbers
      return rng.pick([2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 64, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, 65536, 4294967296, -2147483649, 1e21, 5e-324])
    case 3: // NaN-ish, as values and as strings
      return rng.pick([Number.NaN, Infinity, -Infinity, 'NaN', 'Infinity', '-Infinity', '1e999', '0x10', '1_000', ' 1', '1 ', '00', '-0', '9'.repeat(400)])
    case 4: // deep nesting
      return rng.chance(0.5) ? deepNest(8 + rng.int(56), typeof old === 'object' ? null : old) : rng.pick(DEEP)
    case 5: // a huge array (shared: building one per input would dominate the run), or a long one
      return huge && rng.chance(0.1) ? SHARED_HUGE_ARRAY : Array.from({ length: 100 + rng.int(4000) }, () => primitive(Array.isArray(old) ? old[0] : old))
    case 6:
      return huge && rng.chance(0.5) ? HUGE_STRING : '\u0000\ud800' + (typeof old === 'string' ? old : '')
    case 7: // array ↔ object
      if (Array.isArray(old) && old.length > 5000) return {}
      return Array.isArray(old) ? Object.assign({}, old) : old !== null && typeof old === 'object' ? Object.values(old) : [old]
    case 8: // wrap
      return rng.chance(0.5) ? [old] : { value: old }
    case 9: // a piece of another valid input
      return randomPiece(rng, rng.pick(pool))
    case 10: // prototype-ish keys
      return rng.pick([{ __proto__: { x: 1 } }, JSON.parse('{"__proto__": {"polluted": 1}}'), { constructor: 1, toString: 'x', hasOwnProperty: 0 }])
    case 11:
      return typeof old === 'number' ? old + rng.pick([1, -1, 0.1, 65536, -65536]) : old
    case 12:
      return typeof old === 'string' ? old.slice(0, rng.int(old.length + 1)) + rng.pick(['', 'é', '"', '\\', '/', '..']) : old
    default:
      return Array.isArray(old) && old.length <= 5000 ? old.concat(old) : old
  }
}

/** `v` if it is a primitive, else 0: repeating one object thousands of times makes a DAG whose tree is huge. */
function primitive(v: Json): Json {
  return v !== null && typeof v === 'object' ? 0 : (v ?? 0)
}

function randomPiece(rng: Rng, value: Json): Json {
  const all = containers(value)
  if (all.length === 0) return value
  const { node } = rng.pick(all)
  const entries = Array.isArray(node) ? node : Object.values(node)
  return entries.length === 0 || rng.chance(0.3) ? node : rng.pick(entries)
}

/** One to three stacked mutations of a JSON value (the input is not modified). */
export function mutateJson(rng: Rng, value: Json, pool: readonly Json[], options: JsonMutationOptions = {}): Json {
  let v = value
  const edits = 1 + rng.int(3)
  for (let e = 0; e < edits; e++) {
    if (v === null || typeof v !== 'object' || rng.chance(0.02)) {
      v = strangeValue(rng, v, pool, options)
      continue
    }
    const all = containers(v)
    if (all.length === 0) {
      v = strangeValue(rng, v, pool, options) // a huge root: replace it whole
      continue
    }
    if (options.keys !== undefined && rng.chance(0.25)) {
      // Set a field the target knows, on some object, to a strange value or a valid piece.
      const objects = all.filter((c) => !Array.isArray(c.node))
      if (objects.length > 0) {
        const { root, at } = copyAlong(v, rng.pick(objects).path)
        at[rng.pick(options.keys)] = rng.chance(0.5) ? strangeValue(rng, undefined, pool, options) : randomPiece(rng, rng.pick(pool))
        v = root
        continue
      }
    }
    const { path, node } = rng.pick(all)
    const { root, at } = copyAlong(v, path)
    const keys: (string | number)[] = Array.isArray(node) ? [...node.keys()] : Object.keys(node)
    const op = rng.int(10)
    if (keys.length === 0 || op === 0) {
      // add an element / an unknown key
      if (Array.isArray(at)) (at as unknown as unknown[]).push(strangeValue(rng, undefined, pool, options))
      else {
        const key = options.keys !== undefined && rng.chance(0.5) ? rng.pick(options.keys) : rng.pick(['extra', '', 'n', '__proto__', 'constructor', 'ts'])
        at[key] = rng.chance(0.5) ? strangeValue(rng, undefined, pool, options) : randomPiece(rng, rng.pick(pool))
      }
    } else if (op === 1) {
      // delete an element / a key
      const k = rng.pick(keys)
      if (Array.isArray(at)) (at as unknown as unknown[]).splice(k as number, 1)
      else delete at[k]
    } else {
      const k = rng.pick(keys)
      at[k] = strangeValue(rng, at[k], pool, options)
    }
    v = root
  }
  return v
}

/** Figures of one fuzz run; `crashes` holds the inputs that threw something other than a typed rejection. */
export interface FuzzReport {
  name: string
  inputs: number
  accepted: number
  rejected: Record<string, number>
  /** Inputs that crashed; the first ten are in `crashes`. */
  crashCount: number
  crashes: { index: number; error: string }[]
  ms: number
}

/**
 * Runs `n` inputs through `target`, which returns 'accepted' or a rejection reason (a code),
 * or throws. `classify` turns a thrown error into a reason when it is a typed rejection, or
 * returns undefined for a crash.
 */
export async function fuzz(
  name: string,
  n: number,
  input: (i: number) => unknown,
  target: (x: unknown) => string | Promise<string>,
  classify: (err: unknown) => string | undefined = () => undefined,
): Promise<FuzzReport> {
  const report: FuzzReport = { name, inputs: n, accepted: 0, rejected: {}, crashCount: 0, crashes: [], ms: 0 }
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    let outcome: string
    const x = input(i) // outside the try: a generator bug is the test's, not the target's
    try {
      outcome = await target(x)
    } catch (err) {
      const reason = classify(err)
      if (reason === undefined) {
        report.crashCount++
        if (report.crashes.length < 10) report.crashes.push({ index: i, error: describe(err) })
        continue
      }
      outcome = reason
    }
    if (outcome === 'accepted') report.accepted++
    else report.rejected[outcome] = (report.rejected[outcome] ?? 0) + 1
  }
  report.ms = performance.now() - t0
  return report
}

/** An error's name, message and the first frame of our code it came from. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const frame = (err.stack ?? '').split('\n').find((l) => l.includes('/src/'))?.trim() ?? ''
  return `${err.name}: ${err.message.slice(0, 300)} ${frame}`
}

/** One line of figures for the test log. */
export function formatReport(r: FuzzReport): string {
  const rejected = Object.entries(r.rejected)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
  const rate = r.ms === 0 ? 0 : Math.round((r.inputs / r.ms) * 1000)
  return `fuzz ${r.name}: ${r.inputs} inputs in ${(r.ms / 1000).toFixed(1)} s (${rate}/s): accepted ${r.accepted}; rejected ${rejected}; crashes ${r.crashCount}`
}

/** How many inputs per decoder: FUZZ_INPUTS, else `dflt`. */
export function fuzzInputs(dflt: number): number {
  const env = Number(process.env.FUZZ_INPUTS)
  return Number.isInteger(env) && env > 0 ? env : dflt
}
