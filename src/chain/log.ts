/**
 * The local chain's signed, hash-chained log: every state change is an entry, chained to the one
 * before by hash and signed by the subnet owner; calls (registrations, weights, commits, reveals)
 * carry the envelope their author signed. The chain state, and so each epoch's Yuma input, is a
 * pure function of the entries: `LogReplay` re-derives it and names the first entry that does
 * not follow. The owner and every verifier apply entries through the same code (`applyEntry`).
 * Pure: no I/O (the file lives in log-file.ts).
 */
import { blake2b } from '@noble/hashes/blake2.js'
import { decode as cborDecode, encode as cborEncode } from 'cborg'
import { decodeAddress } from '@polkadot/util-crypto'
import { WebtensorError } from '../errors.ts'
import type { Signer } from '../identity/identity.ts'
import { canonicalEncode, decodeEnvelope, type Envelope, type MessageKind } from '../p2p/envelope.ts'
import { verifyHotkeySignature } from '../p2p/verify.ts'
import { epochDigest } from '../scoring/yuma/digest.ts'
import type { EpochOutput } from '../scoring/yuma/types.ts'
import { parseManifest, type SubnetManifest } from '../subnet/manifest.ts'
import { ChainError, LocalChain, type EpochFunction, type LocalEpochOutput, type LocalEpochRecord } from './local-chain.ts'

/** The manifest as the log and `/api/config` carry it: no dev secrets. */
export type PublicManifest = Omit<SubnetManifest, 'owner' | 'validators'> & {
  owner: { hotkey: string }
  validators: { hotkey: string; stake: string }[]
}

export function publicManifest(m: SubnetManifest): PublicManifest {
  return { ...m, owner: { hotkey: m.owner.hotkey }, validators: m.validators.map(({ hotkey, stake }) => ({ hotkey, stake })) }
}

/** The message kinds that are chain calls, each signed by its author's hotkey. */
export const CALL_KINDS = ['register', 'weights', 'commit', 'reveal'] as const
export type CallKind = (typeof CALL_KINDS)[number]

/** What the chain did with a call: the uid it registered (and whom it replaced), or subtensor's error. */
export type CallResult = { ok: true; uid?: number; replaced?: string } | { ok: false; error: string }

export type EntryBody =
  | { type: 'genesis'; manifest: PublicManifest; nonce: string }
  | { type: 'call'; kind: CallKind; call: { body: string; sig: string }; result: CallResult }
  | { type: 'stake'; hotkey: string; amount: string }
  | { type: 'epoch'; epoch: number; inputDigest: string; digest: string }

/** One line of the log. `sig` is the owner's sr25519 signature over the entry's hash. */
export interface LogEntry {
  seq: number
  /** Hash of the previous entry (0x + 64 hex); zeros for the genesis entry. */
  prev: string
  block: number
  body: EntryBody
  sig: string
}

export class LogError extends WebtensorError {
  override name = 'LogError'
}

const ZERO = `0x${'00'.repeat(32)}`

export function toHex(bytes: Uint8Array): string {
  let s = '0x'
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}

export function fromHex(hex: string): Uint8Array {
  if (!/^0x([0-9a-f]{2})*$/.test(hex)) throw new LogError(`not lowercase 0x hex: ${hex.slice(0, 20)}`, { code: 'malformed' })
  const out = new Uint8Array((hex.length - 2) / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16)
  return out
}

/** blake2b-256 of the canonical CBOR of the entry without its signature. */
export function entryHash(entry: Omit<LogEntry, 'sig'>): Uint8Array {
  const { seq, prev, block, body } = entry
  return blake2b(canonicalEncode({ seq, prev, block, body }), { dkLen: 32 })
}

/** The digest of an epoch's Yuma input or output, as entries and gossip carry it. */
export const digestOf = (value: unknown): string => epochDigest(value as EpochOutput)

/** Decodes a logged call: its envelope, checked as the mesh checks it (form, schema, netuid). */
export function decodeCall(call: { body: string; sig: string }, netuid: number): Envelope {
  const body = fromHex(call.body)
  let kind: unknown
  try {
    kind = (cborDecode(body) as { kind?: unknown }).kind
  } catch {
    throw new LogError('the call is not CBOR', { code: 'malformed' })
  }
  if (typeof kind !== 'string' || !(CALL_KINDS as readonly string[]).includes(kind)) throw new LogError(`the call's kind ${show(kind)} is not a chain call`, { code: 'malformed' })
  const decoded = decodeEnvelope(cborEncode([body, fromHex(call.sig)]), { netuid, kind: kind as MessageKind })
  if (!decoded.ok) throw new LogError(`the call's envelope is refused: ${decoded.reason} (${decoded.detail})`, { code: 'malformed' })
  return decoded.envelope
}

/** Applies one signed call to the chain, exactly as the owner did when it accepted it. */
export function applyCall<O extends LocalEpochOutput>(chain: LocalChain<O>, env: Envelope): CallResult {
  try {
    const publicKey = decodeAddress(env.hotkey)
    switch (env.kind) {
      case 'register': {
        const p = (env as Envelope<'register'>).payload
        const { uid, replaced } = chain.register(env.hotkey, publicKey, { block: p.block, nonce: BigInt(p.nonce), seal: fromHex(p.seal) })
        return replaced === undefined ? { ok: true, uid } : { ok: true, uid, replaced }
      }
      case 'weights': {
        const p = (env as Envelope<'weights'>).payload
        chain.setWeights(env.hotkey, p.uids, p.weights, BigInt(p.versionKey))
        return { ok: true }
      }
      case 'commit':
        chain.commitWeights(env.hotkey, (env as Envelope<'commit'>).payload.hash)
        return { ok: true }
      case 'reveal': {
        const p = (env as Envelope<'reveal'>).payload
        chain.revealWeights(env.hotkey, publicKey, p.uids, p.weights, p.salt, BigInt(p.versionKey))
        return { ok: true }
      }
      default:
        throw new LogError(`${env.kind} is not a chain call`, { code: 'malformed' })
    }
  } catch (err) {
    if (err instanceof ChainError) return { ok: false, error: err.code }
    throw err
  }
}

/** Where the replay stopped and why. */
export interface Divergence {
  seq: number
  reason: 'malformed' | 'broken_chain' | 'bad_signature' | 'bad_call' | 'wrong_result' | 'missing_epoch' | 'wrong_epoch' | 'wrong_genesis'
  detail: string
}

/** One epoch as the replay re-derived it. */
export interface ReplayedEpoch<O extends LocalEpochOutput> extends LocalEpochRecord<O> {
  seq: number
  inputDigest: string
  digest: string
}

/**
 * Re-derives the chain from log entries, one at a time: checks each entry's place in the hash
 * chain, the owner's signature, each call's author signature, the call's result, and each
 * epoch's input and output digests against its own Yuma run. The first entry that does not
 * follow is reported and the replay stops there.
 * @example const r = new LogReplay(runExact); for (const e of entries) if (!r.push(e).ok) break
 */
export class LogReplay<O extends LocalEpochOutput = LocalEpochOutput> {
  private chainState: LocalChain<O> | null = null
  private manifestState: PublicManifest | null = null
  private headHash = ZERO
  private nextSeq = 0
  private lastBlock = 0
  private failed: Divergence | null = null
  readonly epochs: ReplayedEpoch<O>[] = []
  /** Body hash (0x hex) of every logged call → the entry that holds it: what a page checks gossip against. */
  readonly callsByBodyHash = new Map<string, number>()
  counts = { entries: 0, calls: 0, refused: 0, registrations: 0, epochs: 0 }

  constructor(
    private readonly runEpoch: EpochFunction<O>,
    private readonly options: { ownerHotkey?: string; keepEpochs?: number } = {},
  ) {}

  get chain(): LocalChain<O> | null {
    return this.chainState
  }
  get manifest(): PublicManifest | null {
    return this.manifestState
  }
  get head(): { seq: number; hash: string; block: number } {
    return { seq: this.nextSeq - 1, hash: this.headHash, block: this.lastBlock }
  }
  get divergence(): Divergence | null {
    return this.failed
  }

  push(entry: LogEntry): { ok: true } | { ok: false; divergence: Divergence } {
    if (this.failed !== null) return { ok: false, divergence: this.failed }
    const seq = typeof entry?.seq === 'number' ? entry.seq : this.nextSeq
    try {
      this.apply(entry)
      return { ok: true }
    } catch (err) {
      const divergence: Divergence =
        err instanceof ReplayFailure ? { seq, reason: err.reason, detail: err.message } : { seq, reason: 'malformed', detail: err instanceof Error ? err.message : String(err) }
      this.failed = divergence
      return { ok: false, divergence }
    }
  }

  private apply(entry: LogEntry): void {
    checkShape(entry)
    if (entry.seq !== this.nextSeq) throw new ReplayFailure('broken_chain', `entry ${entry.seq} where ${this.nextSeq} was due`)
    if (entry.prev !== this.headHash) throw new ReplayFailure('broken_chain', `prev ${entry.prev.slice(0, 14)}… is not the hash of entry ${this.nextSeq - 1} (${this.headHash.slice(0, 14)}…)`)
    if (entry.block < this.lastBlock) throw new ReplayFailure('broken_chain', `block ${entry.block} after block ${this.lastBlock}`)
    const hash = entryHash(entry)
    const body = entry.body
    if (body.type === 'genesis') {
      if (entry.seq !== 0 || entry.block !== 0) throw new ReplayFailure('wrong_genesis', 'genesis must be entry 0 at block 0')
      let manifest: SubnetManifest
      try {
        manifest = parseManifest(body.manifest)
      } catch (err) {
        throw new ReplayFailure('wrong_genesis', `the genesis manifest is refused: ${(err as Error).message}`)
      }
      if (this.options.ownerHotkey !== undefined && manifest.owner.hotkey !== this.options.ownerHotkey) {
        throw new ReplayFailure('wrong_genesis', `the log's owner ${manifest.owner.hotkey} is not the expected ${this.options.ownerHotkey}`)
      }
      this.checkOwnerSignature(entry, hash, manifest.owner.hotkey)
      let chain: LocalChain<O>
      try {
        chain = new LocalChain<O>(manifest, this.runEpoch, hash)
      } catch (err) {
        // A manifest can parse and still not start a chain (a rule only LocalChain checks).
        throw new ReplayFailure('wrong_genesis', `the genesis manifest cannot start a chain: ${(err as Error).message}`)
      }
      this.manifestState = body.manifest
      this.chainState = chain
    } else {
      const chain = this.chainState
      if (chain === null || this.manifestState === null) throw new ReplayFailure('wrong_genesis', 'the log does not start with a genesis entry')
      this.checkOwnerSignature(entry, hash, this.manifestState.owner.hotkey)
      const parent = fromHex(this.headHash)
      if (body.type === 'epoch') {
        // Checked before advancing: a forged entry dated far ahead would otherwise run (and
        // keep) every epoch on the way to its block.
        const due = chain.nextEpochBlock()
        if (entry.block !== due) throw new ReplayFailure('wrong_epoch', `no epoch runs at block ${entry.block} (next at ${due})`)
        const ran = chain.advanceTo(entry.block, parent)
        const record = ran[0]
        if (ran.length > 1) throw new ReplayFailure('missing_epoch', `the epoch of block ${record!.block} is missing before this epoch entry at block ${entry.block}`)
        if (record === undefined || record.block !== entry.block) {
          throw new ReplayFailure('wrong_epoch', `no epoch runs at block ${entry.block} (next at ${ran[0]?.block ?? chain.nextEpochBlock()})`)
        }
        const inputDigest = digestOf(record.input)
        const digest = digestOf(record.output)
        if (body.epoch !== record.epoch) throw new ReplayFailure('wrong_epoch', `epoch ${body.epoch} logged, ${record.epoch} ran`)
        if (body.inputDigest !== inputDigest) throw new ReplayFailure('wrong_epoch', `epoch ${record.epoch}: the logged input digest ${body.inputDigest.slice(0, 12)}… is not the input the log leads to (${inputDigest.slice(0, 12)}…)`)
        if (body.digest !== digest) throw new ReplayFailure('wrong_epoch', `epoch ${record.epoch}: the logged result ${body.digest.slice(0, 12)}… differs from Yuma's (${digest.slice(0, 12)}…)`)
        this.epochs.push({ ...record, seq: entry.seq, inputDigest, digest })
        const keep = this.options.keepEpochs ?? Infinity
        if (this.epochs.length > keep) this.epochs.shift()
        this.counts.epochs++
      } else {
        if (chain.nextEpochBlock() <= entry.block) throw new ReplayFailure('missing_epoch', `the epoch of block ${chain.nextEpochBlock()} is missing before this entry at block ${entry.block}`)
        chain.advanceTo(entry.block, parent)
        if (body.type === 'stake') {
          try {
            chain.addStake(body.hotkey, BigInt(body.amount))
          } catch (err) {
            if (err instanceof ChainError) throw new ReplayFailure('bad_call', `stake entry refused: ${err.message}`)
            throw err
          }
        } else {
          let env: Envelope
          try {
            env = decodeCall(body.call, chain.netuid)
          } catch (err) {
            throw new ReplayFailure('bad_call', (err as Error).message)
          }
          if (env.kind !== body.kind) throw new ReplayFailure('bad_call', `logged as ${body.kind}, signed as ${env.kind}`)
          if (!verifyHotkeySignature(fromHex(body.call.body), fromHex(body.call.sig), env.hotkey)) {
            throw new ReplayFailure('bad_signature', `the ${env.kind} call is not signed by ${env.hotkey}`)
          }
          const result = applyCall(chain, env)
          if (JSON.stringify(result) !== JSON.stringify(normaliseResult(body.result))) {
            throw new ReplayFailure('wrong_result', `${env.kind} from ${env.hotkey}: logged ${JSON.stringify(body.result)}, the chain gives ${JSON.stringify(result)}`)
          }
          this.callsByBodyHash.set(toHex(blake2b(fromHex(body.call.body), { dkLen: 32 })), entry.seq)
          this.counts.calls++
          if (!result.ok) this.counts.refused++
          else if (env.kind === 'register') this.counts.registrations++
        }
      }
    }
    this.headHash = toHex(hash)
    this.nextSeq++
    this.lastBlock = entry.block
    this.counts.entries++
  }

  private checkOwnerSignature(entry: LogEntry, hash: Uint8Array, owner: string): void {
    if (!verifyHotkeySignature(hash, fromHex(entry.sig), owner)) throw new ReplayFailure('bad_signature', `entry ${entry.seq} is not signed by the owner ${owner}`)
  }
}

class ReplayFailure extends LogError {
  constructor(
    readonly reason: Divergence['reason'],
    message: string,
  ) {
    super(message, { code: reason })
  }
}

function normaliseResult(r: CallResult): CallResult {
  if (!r.ok) return { ok: false, error: r.error }
  const out: CallResult = { ok: true }
  if (r.uid !== undefined) out.uid = r.uid
  if (r.replaced !== undefined) out.replaced = r.replaced
  return out
}

const HEX32 = /^0x[0-9a-f]{64}$/
/** Deeper than any entry body (a genesis manifest's integrity files are 5 levels down). */
const MAX_BODY_DEPTH = 32

/** Whether `v` nests arrays and objects at most `max` deep; stops looking past `max`, so it cannot overflow. */
function nestsWithin(v: unknown, max: number): boolean {
  if (v === null || typeof v !== 'object') return true
  if (max === 0) return false
  for (const child of Object.values(v)) if (!nestsWithin(child, max - 1)) return false
  return true
}

/** A hostile value, shown safely in a message (String() throws on `{ toString: 'x' }`). */
function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)
  if (v === null || typeof v !== 'object') return String(v)
  return Array.isArray(v) ? 'an array' : 'an object'
}
const HEX = /^0x([0-9a-f]{2})*$/

function checkShape(e: LogEntry): void {
  const bad = (what: string): never => {
    throw new ReplayFailure('malformed', `entry ${show(e?.seq)}: ${what}`)
  }
  if (e === null || typeof e !== 'object') bad('not an object')
  if (!Number.isSafeInteger(e.seq) || e.seq < 0) bad('seq')
  if (typeof e.prev !== 'string' || !HEX32.test(e.prev)) bad('prev')
  if (!Number.isSafeInteger(e.block) || e.block < 0) bad('block')
  if (typeof e.sig !== 'string' || !/^0x[0-9a-f]{128}$/.test(e.sig)) bad('sig')
  const b = e.body as Partial<Record<string, unknown>> | null
  if (b === null || typeof b !== 'object') bad('body')
  // Before anything recurses into it (hashing, messages): hostile nesting would overflow the stack.
  if (!nestsWithin(b, MAX_BODY_DEPTH)) bad(`body nested deeper than ${MAX_BODY_DEPTH}`)
  const body = b as Record<string, unknown>
  switch (body.type) {
    case 'genesis':
      if (typeof body.nonce !== 'string' || !HEX32.test(body.nonce) || typeof body.manifest !== 'object') bad('genesis')
      break
    case 'call': {
      const call = body.call as Record<string, unknown> | undefined
      const result = body.result as Record<string, unknown> | undefined
      if (typeof body.kind !== 'string' || !(CALL_KINDS as readonly string[]).includes(body.kind)) bad('call kind')
      if (typeof call?.body !== 'string' || !HEX.test(call.body) || typeof call.sig !== 'string' || !/^0x[0-9a-f]{128}$/.test(call.sig)) bad('call')
      if (typeof result?.ok !== 'boolean') bad('result')
      break
    }
    case 'stake':
      if (typeof body.hotkey !== 'string' || typeof body.amount !== 'string' || !/^-?(0|[1-9][0-9]{0,38})$/.test(body.amount)) bad('stake')
      break
    case 'epoch':
      if (!Number.isSafeInteger(body.epoch) || typeof body.inputDigest !== 'string' || typeof body.digest !== 'string') bad('epoch')
      break
    default:
      bad(`unknown type ${show(body.type)}`)
  }
}

/**
 * The owner's side of the log: makes each entry (chained, hashed, signed) and hands it to
 * `sink` before it counts — the file sink flushes to disk before returning.
 */
export class LogWriter {
  private nextSeq: number
  private headHash: string
  private lastBlock: number

  constructor(
    private readonly signer: Signer,
    private readonly sink: (entry: LogEntry) => void,
    head: { seq: number; hash: string; block: number } = { seq: -1, hash: ZERO, block: 0 },
  ) {
    this.nextSeq = head.seq + 1
    this.headHash = head.hash
    this.lastBlock = head.block
  }

  get head(): { seq: number; hash: string; block: number } {
    return { seq: this.nextSeq - 1, hash: this.headHash, block: this.lastBlock }
  }

  append(block: number, body: EntryBody): LogEntry {
    if (block < this.lastBlock) throw new LogError(`block ${block} after ${this.lastBlock}`, { code: 'broken_chain' })
    const unsigned = { seq: this.nextSeq, prev: this.headHash, block, body }
    const hash = entryHash(unsigned)
    const entry: LogEntry = { ...unsigned, sig: toHex(this.signer.sign(hash)) }
    this.sink(entry)
    this.nextSeq++
    this.headHash = toHex(hash)
    this.lastBlock = block
    return entry
  }
}

/** Parses JSON Lines into entries; a line that is not JSON is reported by its number. */
export function parseLogLines(text: string, firstSeq = 0): LogEntry[] {
  const out: LogEntry[] = []
  const lines = text.split('\n')
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue
    try {
      out.push(JSON.parse(line) as LogEntry)
    } catch {
      // A torn last line (a crash mid-write) is not an entry yet; anything else is damage.
      if (i === lines.length - 1) break
      throw new LogError(`line ${i + 1} (entry ${firstSeq + out.length}) is not JSON`, { code: 'unreadable' })
    }
  }
  return out
}

/** One entry as a line of the log file. */
export const logLine = (entry: LogEntry): string => `${JSON.stringify(entry)}\n`
