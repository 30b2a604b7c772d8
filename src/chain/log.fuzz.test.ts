// Seeded mutation fuzzing of the chain log verifier: a small real log (genesis, registrations,
// a stake entry, weights, a refused call, 3 epochs) is damaged as text (byte flips, torn and
// dropped lines) and as entries (hex fields flipped, numbers changed, entries deleted, duplicated,
// swapped, wrong types, huge numbers, deep nesting, non-hex strings), and then also forged: the
// owner re-signs and re-chains the damaged entries, or an author re-signs a damaged call.
// `parseLogLines` may only throw LogError; `LogReplay.push` may never throw, nor fail inside on
// anything but our own typed errors. An unforged log must be accepted exactly up to its first
// entry that differs from the original (by hash and signature), and a log accepted whole must
// reach the original's final state. FUZZ_INPUTS sets the count (default 2000; test/p2p/fuzz.heavy.test.ts runs 10^4).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decode as cborDecode } from 'cborg'
import { WebtensorError } from '../errors.ts'
import type { Hotkey } from '../identity/index.ts'
import { canonicalEncode } from '../p2p/envelope.ts'
import { runEpoch, type EpochInput, type EpochOutput } from '../scoring/index.ts'
import { buildChainLog } from '../../test/support/chain-log.ts'
import { formatReport, fuzz, fuzzInputs, mutateBytes, mutateJson, Rng, strangeValue } from '../../test/support/fuzz.ts'
import { entryHash, fromHex, LogError, LogReplay, logLine, parseLogLines, toHex, type Divergence, type LogEntry } from './log.ts'

const N = fuzzInputs(2000)
const exact = (input: unknown): EpochOutput => runEpoch(input as EpochInput, { mode: 'exact' })
const built = await buildChainLog({ validators: 2, miners: 3, epochs: 3, keyPrefix: 'LogFuzz', registrationsPerBlock: 2, variety: true }, exact)
const original = built.entries
const originalText = original.map(logLine).join('')
const keysByAddress = new Map<string, Hotkey>([built.owner, ...built.validators, ...built.miners].map((k) => [k.address, k]))
const KEYS = ['seq', 'prev', 'block', 'body', 'sig', 'type', 'kind', 'call', 'result', 'ok', 'uid', 'replaced', 'error', 'manifest', 'nonce', 'hotkey', 'amount', 'epoch', 'inputDigest', 'digest']
const PAYLOAD_KEYS = ['block', 'nonce', 'seal', 'epoch', 'uids', 'weights', 'versionKey', 'hash', 'salt', 'netuid', 'kind', 'hotkey', 'peerId', 'seq', 'timestamp', 'payload']
const REASONS: readonly Divergence['reason'][] = ['malformed', 'broken_chain', 'bad_signature', 'bad_call', 'wrong_result', 'missing_epoch', 'wrong_epoch', 'wrong_genesis']

type Json = unknown
/** A deep copy; a value too deep to copy (stacked deep-nesting mutations) becomes null. */
function clone(v: Json): Json {
  if (v === null || typeof v !== 'object') return v
  try {
    return structuredClone(v)
  } catch {
    return null
  }
}

/** What the replay checks of an entry: its hash (seq, prev, block, body) and its signature. */
function identity(e: Json): string {
  try {
    return `${toHex(entryHash(e as LogEntry))}|${JSON.stringify((e as LogEntry).sig)}`
  } catch {
    return `unhashable:${Math.random()}`
  }
}
const originalIds = original.map(identity)

interface Replayed {
  replay: LogReplay<EpochOutput>
  /** Entries accepted before the replay stopped. */
  accepted: number
  /** What apply threw inside push, when it was not one of our typed errors. */
  internal: unknown
}

/** Replays `entries` as `webtensor verify` does; records any untyped error apply threw inside push. */
function replayAll(entries: readonly Json[]): Replayed {
  const replay = new LogReplay<EpochOutput>(exact, { ownerHotkey: built.owner.address, keepEpochs: 1 })
  let internal: unknown
  const inner = (replay as unknown as { apply(e: LogEntry): void }).apply.bind(replay)
  ;(replay as unknown as { apply(e: LogEntry): void }).apply = (e) => {
    try {
      inner(e)
    } catch (err) {
      if (!(err instanceof WebtensorError)) internal = err
      throw err
    }
  }
  for (const e of entries) {
    const r = replay.push(e as LogEntry) // a throw here fails the case as a crash
    if (!r.ok) {
      assert.ok(REASONS.includes(r.divergence.reason) && typeof r.divergence.detail === 'string', JSON.stringify(r.divergence))
      assert.equal(replay.push(e as LogEntry).ok, false, 'a replay stays stopped')
      break
    }
  }
  return { replay, accepted: replay.counts.entries, internal }
}

const reference = replayAll(original)
assert.equal(reference.replay.divergence, null)
const finalState = JSON.stringify({ metagraph: reference.replay.chain!.metagraph(), head: reference.replay.head, epoch: reference.replay.epochs.at(-1)?.digest })

/** Paths to every string of lowercase 0x hex in a value (prev, sig, call.body, call.sig, nonce, …). */
function hexPaths(v: Json, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof v === 'string' && /^0x[0-9a-f]*$/.test(v)) out.push(path)
  else if (v !== null && typeof v === 'object' && path.length < 8) for (const [k, c] of Object.entries(v)) hexPaths(c, [...path, Array.isArray(v) ? Number(k) : k], out)
  return out
}
function numberPaths(v: Json, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof v === 'number') out.push(path)
  else if (v !== null && typeof v === 'object' && path.length < 8) for (const [k, c] of Object.entries(v)) numberPaths(c, [...path, Array.isArray(v) ? Number(k) : k], out)
  return out
}
/** Sets the value at `path` in `root`; returns the new root (the value itself for the empty path). */
function setAt(root: Json, path: (string | number)[], value: Json): Json {
  if (path.length === 0) return value
  let at = root as Record<string | number, Json>
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, Json>
  at[path.at(-1)!] = value
  return root
}
function getAt(root: Json, path: (string | number)[]): Json {
  let at = root
  for (const k of path) at = (at as Record<string | number, Json>)[k]
  return at
}

/** One hex string damaged: a digit changed, upper case, a non-hex character, a byte dropped or added. */
function damageHex(rng: Rng, hex: string): string {
  const body = hex.slice(2)
  const at = body.length === 0 ? 0 : rng.int(body.length)
  switch (rng.int(6)) {
    case 0: {
      const digits = '0123456789abcdef'.replace(body[at] ?? '', '')
      return `0x${body.slice(0, at)}${rng.pick([...digits])}${body.slice(at + 1)}`
    }
    case 1:
      return hex.toUpperCase()
    case 2:
      return `0x${body.slice(0, at)}${rng.pick(['g', 'x', ' ', 'é', '\u0000', 'Z'])}${body.slice(at + 1)}`
    case 3:
      return hex.slice(0, -2)
    case 4:
      return `${hex}${rng.pick(['00', 'ff', '0'])}`
    default:
      return rng.pick(['', '0x', body, `0X${body}`, '0x0'])
  }
}

/** One entry-level mutation of `entries` (a copy); returns the copy and the first index it touched. */
function mutateEntries(rng: Rng, entries: Json[]): { entries: Json[]; from: number; renumber: boolean } {
  const out = entries.slice()
  const i = rng.chance(0.08) ? 0 : rng.int(out.length)
  const op = rng.int(10)
  if (op === 0) {
    out.splice(i, 1)
    return { entries: out, from: i, renumber: true }
  }
  if (op === 1) {
    const j = rng.int(out.length + 1)
    out.splice(j, 0, clone(out[i]))
    return { entries: out, from: Math.min(i, j), renumber: true }
  }
  if (op === 2) {
    const j = rng.chance(0.5) ? Math.min(out.length - 1, i + 1) : rng.int(out.length)
    ;[out[i], out[j]] = [out[j], out[i]]
    return { entries: out, from: Math.min(i, j), renumber: true }
  }
  let e = clone(out[i])
  if (op === 3 || op === 4) {
    const paths = hexPaths(e)
    if (paths.length > 0) {
      const p = rng.pick(paths)
      e = setAt(e, p, damageHex(rng, getAt(e, p) as string))
    }
  } else if (op === 5 || op === 6) {
    const paths = numberPaths(e)
    if (paths.length > 0) {
      const p = rng.pick(paths)
      const old = getAt(e, p) as number
      e = setAt(e, p, rng.pick([old + 1, old - 1, old * 2, -old, old + 0.5, 2 ** 53, 2 ** 53 - 1, 1e308, -1, 4294967296, String(old), null]))
    }
  } else if (op === 7) {
    out[i] = strangeValue(rng, e, entries)
    return { entries: out, from: i, renumber: false }
  } else {
    out[i] = mutateJson(rng, e, entries, { keys: KEYS })
    return { entries: out, from: i, renumber: false }
  }
  out[i] = e
  return { entries: out, from: i, renumber: false }
}

/** An author re-signs a damaged call: the payload is mutated, encoded canonically and signed again. */
function forgeCall(rng: Rng, entry: Json): Json {
  const e = clone(entry) as { body?: { type?: string; call?: { body: string; sig: string } } }
  const call = e?.body?.call
  if (e?.body?.type !== 'call' || call === undefined) return e
  try {
    const env = cborDecode(fromHex(call.body)) as { hotkey: string; payload: unknown }
    const key = keysByAddress.get(env.hotkey)
    if (key === undefined) return e
    const mutated = { ...env, payload: mutateJson(rng, env.payload, [env.payload], { huge: false, keys: PAYLOAD_KEYS }) }
    const body = canonicalEncode(mutated)
    e.body!.call = { body: toHex(body), sig: toHex(key.sign(body)) }
  } catch {
    // not encodable: leave the call as it was
  }
  return e
}

/** The owner re-chains and re-signs entries from `from` on, as an owner forging its own log can. */
function resign(entries: Json[], from: number, renumber: boolean): Json[] {
  const out = entries.slice(0, from)
  for (const raw of entries.slice(from)) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      out.push(raw)
      continue
    }
    const e = { ...(raw as LogEntry) }
    if (renumber) e.seq = out.length
    try {
      if (out.length > 0) e.prev = toHex(entryHash(out.at(-1) as LogEntry))
      e.sig = toHex(built.owner.sign(entryHash(e)))
    } catch {
      // unhashable: the entry keeps its old signature
    }
    out.push(e)
  }
  return out
}

/** Text damage: bytes flipped, inserted, cut; lines dropped, torn, joined. */
function mutateText(rng: Rng): string {
  const lines = originalText.split('\n')
  switch (rng.int(4)) {
    case 0:
      return new TextDecoder().decode(mutateBytes(rng, new TextEncoder().encode(originalText), [new TextEncoder().encode(originalText)]))
    case 1: {
      const i = rng.int(lines.length - 1)
      lines[i] = lines[i]!.slice(0, rng.int(lines[i]!.length))
      return lines.join('\n')
    }
    case 2: {
      const i = rng.int(lines.length - 1)
      lines.splice(i, 2, `${lines[i]}${rng.pick(['', ' ', ','])}${lines[i + 1]}`)
      return lines.join('\n')
    }
    default:
      return originalText.slice(0, rng.int(originalText.length))
  }
}

/** Entries as the verifier would read them back from the file (JSON Lines). */
function roundTrip(entries: Json[]): Json[] {
  let text: string
  try {
    text = entries.map((e) => `${JSON.stringify(e)}\n`).join('')
  } catch {
    return entries // too deep to serialise: hand the values over directly
  }
  return parseLogLines(text)
}

type Case = { mode: 'text'; text: string } | { mode: 'entries' | 'forged'; entries: Json[]; from: number }

test(`chain log: ${N} damaged and forged logs; the verifier never throws, and stops exactly at the first entry that differs`, async () => {
  const rng = new Rng(0x10c)
  const modes: Record<string, number> = {}
  let slowest = 0
  const report = await fuzz(
    'chain log (parseLogLines + LogReplay.push)',
    N,
    (): Case => {
      const r = rng.next()
      if (r < 0.25) return { mode: 'text', text: mutateText(rng) }
      let m = mutateEntries(rng, original.slice())
      if (rng.chance(0.3)) {
        const again = mutateEntries(rng, m.entries) // stacked
        m = { entries: again.entries, from: Math.min(m.from, again.from), renumber: m.renumber || again.renumber }
      }
      if (r < 0.65) return { mode: 'entries', entries: m.entries, from: m.from }
      let entries = m.entries
      if (rng.chance(0.4)) {
        const calls = entries.flatMap((e, i) => ((e as LogEntry)?.body?.type === 'call' ? [i] : []))
        if (calls.length > 0) {
          const i = rng.pick(calls)
          entries = entries.slice()
          entries[i] = forgeCall(rng, entries[i])
          m = { ...m, from: Math.min(m.from, i) }
        }
      }
      return { mode: 'forged', entries: resign(entries, m.from, m.renumber), from: m.from }
    },
    (x) => {
      const c = x as Case
      modes[c.mode] = (modes[c.mode] ?? 0) + 1
      let entries: Json[]
      try {
        entries = c.mode === 'text' ? parseLogLines(c.text) : roundTrip(c.entries)
      } catch (err) {
        if (err instanceof LogError) return 'unreadable'
        throw err
      }
      const t0 = performance.now()
      const { replay, accepted, internal } = replayAll(entries)
      slowest = Math.max(slowest, performance.now() - t0)
      if (internal !== undefined) throw internal
      if (c.mode === 'forged') {
        // The owner can sign anything; the entries before its forgery still verify as they did.
        assert.ok(accepted >= Math.min(c.from, entries.length), `accepted ${accepted} of an untouched prefix of ${c.from}`)
      } else {
        // Unforged: accepted exactly as far as the entries are the owner's, at their place.
        let same = 0
        while (same < entries.length && same < original.length && identity(entries[same]) === originalIds[same]) same++
        assert.equal(accepted, same, `accepted ${accepted} entries, ${same} are the original's: ${JSON.stringify(replay.divergence)}`)
        if (accepted === original.length && accepted === entries.length) {
          assert.equal(JSON.stringify({ metagraph: replay.chain!.metagraph(), head: replay.head, epoch: reference.replay.epochs.at(-1)?.digest }), finalState)
        }
        if (replay.divergence !== null) {
          const named = (entries[same] as LogEntry | null)?.seq
          assert.ok(replay.divergence.seq === same || replay.divergence.seq === named, `divergence named entry ${replay.divergence.seq}, the first differing is at ${same}`)
        }
      }
      return replay.divergence === null ? (entries.length === original.length ? 'accepted' : 'accepted prefix') : replay.divergence.reason
    },
  )
  console.log(formatReport(report), `| modes ${JSON.stringify(modes)}; slowest replay ${slowest.toFixed(0)} ms`)
  assert.deepEqual(report.crashes, [])
  assert.equal(report.crashCount, 0)
  assert.ok(Object.keys(report.rejected).length >= 6, 'the mutations reach many checks')
})

// Fixed examples: cases the fuzzer found, kept as plain tests.

test('a forged epoch entry dated far ahead is refused at once (the verifier used to run every block up to it)', () => {
  const at = original.findIndex((e) => e.body.type === 'epoch')
  for (const block of [2 ** 32, Number.MAX_SAFE_INTEGER]) {
    const forged = structuredClone(original) as Json[]
    ;(forged[at] as LogEntry).block = block
    const { replay, accepted, internal } = replayAll(resign(forged, at, false))
    assert.equal(internal, undefined)
    assert.equal(accepted, at)
    assert.equal(replay.divergence?.reason, 'wrong_epoch')
    assert.equal(replay.chain!.block, original[at - 1]!.block, 'the chain did not advance')
  }
})

test('hostile values in an entry are refused as malformed, not crashed on: a type with a broken toString, a body nested 20,000 deep', () => {
  const at = original.findIndex((e) => e.body.type === 'call')
  let deep: Json = 1
  for (let i = 0; i < 20_000; i++) deep = i % 2 ? { a: deep } : [deep]
  const cases: [string, (e: Record<string, Json>) => void][] = [
    ['type', (e) => void ((e.body as Record<string, Json>).type = { constructor: 1, toString: 'x', hasOwnProperty: 0 })],
    ['seq', (e) => void (e.seq = { toString: 'x' })],
    ['result', (e) => void ((e.body as Record<string, Json>).result = { ok: true, uid: deep })],
  ]
  for (const [what, damage] of cases) {
    const entries = structuredClone(original) as Json[]
    damage(entries[at] as Record<string, Json>)
    for (const log of [entries, resign(entries, at, false)]) {
      const { replay, accepted, internal } = replayAll(log)
      assert.equal(internal, undefined, `${what}: ${String(internal)}`)
      assert.equal(accepted, at, what)
      assert.equal(replay.divergence?.reason, 'malformed', what)
    }
  }
})

test('a forged genesis whose manifest is refused (a fractional stake threshold) is refused as wrong_genesis, naming the field', () => {
  const entries = structuredClone(original) as Json[]
  const genesis = entries[0] as { body: { manifest: { hyperparams: Record<string, number> } } }
  genesis.body.manifest.hyperparams.stake_threshold = 1_000_000_000_000.5
  const { replay, accepted, internal } = replayAll(resign(entries, 0, false))
  assert.equal(internal, undefined, String(internal))
  assert.equal(accepted, 0)
  assert.equal(replay.divergence?.reason, 'wrong_genesis')
  assert.match(replay.divergence!.detail, /genesis manifest is refused.*stake_threshold/)
})
