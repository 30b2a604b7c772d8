/**
 * What the page knows from the owner's signed log (as its verifier worker reported it), what it
 * saw on the mesh itself, and the sentence it shows for each epoch: exactly what was checked, or
 * the first thing that did not hold. Pure: the session feeds it verifier updates, gossip and
 * mesh messages.
 */
import type { EpochResult } from '../chain/index.ts'
import type { Divergence } from '../chain/log.ts'
import { callBodyHash, type VerifiedEpoch, type VerifiedNeuron, type VerifierCounts, type VerifierUpdate } from '../chain/log-verifier.ts'

/** Blocks after a mesh message was seen before the log must hold it (the owner logs it in the block it arrives). */
export const LOG_GRACE_BLOCKS = 3
/** Verified epochs kept for matching gossip against (by log seq). */
const KEEP_EPOCHS = 64
/** Call body hashes kept (oldest go first): far more than the calls of the blocks a mesh check looks back over. */
const KEEP_CALLS = 100_000

/** The verified log as the page holds it: the sum of the verifier's updates since byte 0. */
export class VerifiedLog {
  genesis: string | null = null
  head = { seq: -1, hash: '', block: 0 }
  counts: VerifierCounts | null = null
  divergence: Divergence | null = null
  registered = new Map<string, VerifiedNeuron>()
  readonly calls = new Map<string, number>()
  private readonly epochs = new Map<number, VerifiedEpoch>()

  apply(u: VerifierUpdate): void {
    this.genesis = u.genesis
    this.head = u.head
    this.counts = u.counts
    this.divergence = u.divergence ?? null
    this.registered = new Map(u.registered.map((n) => [n.hotkey, n]))
    for (const [hash, seq] of u.callsByBodyHash) {
      this.calls.set(hash, seq)
      if (this.calls.size > KEEP_CALLS) this.calls.delete(this.calls.keys().next().value!)
    }
    for (const e of u.epochs) {
      this.epochs.set(e.seq, e)
      if (this.epochs.size > KEEP_EPOCHS) this.epochs.delete(this.epochs.keys().next().value!)
    }
  }

  /** The verified epoch held by log entry `seq`, if it is one of the recent ones. */
  epochAt(seq: number): VerifiedEpoch | undefined {
    return this.epochs.get(seq)
  }
}

/** A signed weights/commit/reveal message the page received on the mesh. */
export interface SeenCall {
  hash: string
  kind: string
  hotkey: string
  /** The latest metagraph block when it arrived. */
  block: number
  /** The owner's session then: a restarted owner cannot have logged what came while it was down. */
  session: string
}

/** Where the page's mesh check stands. */
export interface MeshCheck {
  /** Seen on the mesh and found in the log. */
  confirmed: number
  /** Too recent for the log to owe them yet. */
  pending: number
  /** Not owed: the author held no uid then, or the owner restarted since. */
  excused: number
  /** Owed and absent: the owner dropped them. */
  missing: SeenCall[]
}

/**
 * The weights, commits and reveals this page saw on the mesh, each checked against the log once
 * the log is `LOG_GRACE_BLOCKS` past the block it was seen at. The owner logs every call of a
 * registered hotkey (refused ones with their error), so one missing from the log was dropped.
 */
export class MeshWatch {
  private readonly pending = new Map<string, SeenCall>()
  private readonly state: MeshCheck = { confirmed: 0, pending: 0, excused: 0, missing: [] }

  /** Records a message's signed body as seen at `block` of the owner's `session`. */
  see(kind: string, hotkey: string, body: Uint8Array, block: number, session: string): void {
    const hash = callBodyHash(body)
    if (!this.pending.has(hash)) this.pending.set(hash, { hash, kind, hotkey, block, session })
  }

  /** Checks what is due against `log`; `session` is the owner's current one. */
  settle(log: VerifiedLog, session: string | null): MeshCheck {
    for (const [hash, seen] of this.pending) {
      if (log.calls.has(hash)) this.state.confirmed++
      else if (log.head.block < seen.block + LOG_GRACE_BLOCKS) continue
      else if (seen.session !== session || !owed(log.registered.get(seen.hotkey), seen.block)) this.state.excused++
      else this.state.missing.push(seen)
      this.pending.delete(hash)
    }
    this.state.pending = this.pending.size
    return { ...this.state, missing: [...this.state.missing] }
  }
}

/** Whether the owner had to log a call seen at `block`: its author held a uid well before (the owner ignores unregistered hotkeys' calls). */
function owed(neuron: VerifiedNeuron | undefined, block: number): boolean {
  return neuron !== undefined && neuron.registeredAt + 2 <= block
}

/** The page's verdict on one epoch. */
export interface EpochVerdict {
  epoch: number
  ok: boolean
  detail: string
}

const short = (hex: string, n = 8): string => `${hex.replace(/^0x/, '').slice(0, n)}…`
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`
const sameArray = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/**
 * Checks a gossiped epoch against the verified log and the mesh, and says what was checked:
 * the log verifies up to the epoch's entry, the gossip's chain is the log's, the entry is this
 * epoch with the same digests and rewards, and every weight message seen on the mesh is logged.
 */
export function verdictFor(e: EpochResult, log: VerifiedLog, mesh: MeshCheck): EpochVerdict {
  const fail = (detail: string): EpochVerdict => ({ epoch: e.epoch, ok: false, detail })
  if (log.divergence !== null) {
    const d = log.divergence
    return fail(`the log does not verify at entry ${d.seq} (${d.reason}): ${d.detail}`)
  }
  if (log.genesis === null) return fail('the log holds no genesis entry yet')
  if (e.chain.genesis !== log.genesis) return fail(`the gossip is from chain ${short(e.chain.genesis)}, the log is chain ${short(log.genesis)}`)
  const entry = log.epochAt(e.logSeq)
  if (entry === undefined) {
    return fail(e.logSeq > log.head.seq ? `the log ends at entry ${log.head.seq}: it has no entry ${e.logSeq} for this epoch` : `entry ${e.logSeq} of the log is not an epoch`)
  }
  if (entry.epoch !== e.epoch) return fail(`entry ${e.logSeq} of the log is epoch ${entry.epoch}, not ${e.epoch}`)
  if (entry.block !== e.block) return fail(`the log ran epoch ${e.epoch} at block ${entry.block}, the gossip says ${e.block}`)
  if (e.inputDigest !== undefined && e.inputDigest !== entry.inputDigest) return fail(`the gossiped input digest ${short(e.inputDigest)} is not the log's ${short(entry.inputDigest)}`)
  if (e.digest !== entry.digest) return fail(`the gossiped result ${short(e.digest)} is not the one Yuma gives on the log (${short(entry.digest)})`)
  if (!sameArray(e.incentive, entry.incentive) || !sameArray(e.dividends, entry.dividends)) return fail('the gossiped incentive or dividends differ from the epoch re-derived from the log')
  const first = mesh.missing[0]
  if (first !== undefined) {
    const more = mesh.missing.length > 1 ? ` (and ${mesh.missing.length - 1} more)` : ''
    return fail(`the owner dropped a signed ${first.kind} message from ${first.hotkey} seen on the mesh at block ${first.block}${more}`)
  }
  const c = log.counts!
  const weightMessages = c.calls.weights + c.calls.commit + c.calls.reveal
  const split = c.calls.commit + c.calls.reveal > 0 ? ` (${c.calls.weights} weights, ${c.calls.commit} commits, ${c.calls.reveal} reveals)` : ''
  const meshLine =
    mesh.confirmed === 0
      ? `no weight message seen on the mesh is due in the log yet${mesh.pending > 0 ? ` (${mesh.pending} seen, too recent)` : ''}`
      : `${plural(mesh.confirmed, 'weight message')} seen on the mesh ${mesh.confirmed === 1 ? 'is' : 'are all'} in the log${mesh.pending > 0 ? ` (${mesh.pending} more too recent to check)` : ''}`
  return {
    epoch: e.epoch,
    ok: true,
    detail:
      `re-derived from the signed log: ${plural(c.entries, 'entry', 'entries')} (owner signature and hash chain), ` +
      `${plural(weightMessages, 'signed weight message')}${split}, ${plural(c.registrations, 'registration')} with ${c.registrations === 1 ? 'its' : 'their'} proof of work, ` +
      `Yuma run here: result ${short(entry.digest)} = the owner's signed digest; ${meshLine}`,
  }
}
