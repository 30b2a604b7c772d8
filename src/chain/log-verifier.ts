/**
 * A stateful, incremental verifier of an owner's signed chain log, for a reader that fetches the
 * log piece by piece (the page, over HTTP Range requests). It feeds whole lines to `LogReplay`
 * (owner signature, hash chain, each call's author signature and result, exact Yuma for each
 * epoch) and hands back only what is new since the last piece: the epochs re-derived, the calls
 * now known by body hash, the head, and the first entry that does not follow. Pure: no I/O; the
 * page runs it in a Web Worker (log-verifier.worker.ts).
 */
import { blake2b } from '@noble/hashes/blake2.js'
import type { EpochOutput } from '../scoring/yuma/types.ts'
import type { EpochFunction, LocalEpochInput, LocalEpochOutput } from './local-chain.ts'
import { fromHex, LogError, LogReplay, toHex, type CallKind, type Divergence, type LogEntry } from './log.ts'

/** One epoch the verifier re-derived from the log; rewards as the chain stores them (u16 per uid). */
export interface VerifiedEpoch {
  epoch: number
  block: number
  /** The log entry that holds it. */
  seq: number
  digest: string
  inputDigest: string
  incentive: number[]
  dividends: number[]
  /** The watched hotkey's uid and rewards in this epoch; null when it held no uid. */
  mine: { uid: number; incentive: number; dividends: number } | null
  /** Every uid's metagraph values after this epoch; only with `LogVerifierOptions.detail`. */
  detail?: EpochDetail
}

/**
 * The metagraph after one epoch, per uid (index = uid), with the Bittensor SDK's field names:
 * shares as the chain stores them (u16, 65535 = 1), rao as decimal strings, `last_update` as a
 * block, and the bonds as the chain stores them (sparse u16 rows: `[uid, bond]`, a row per
 * validator). Taken from the epoch's Yuma input (last_update) and output (the rest), and the
 * replayed chain's state after it (hotkeys, stake with the epoch's emission included).
 */
export interface EpochDetail {
  hotkey: string[]
  stake: string[]
  consensus: number[]
  incentive: number[]
  dividends: number[]
  validator_trust: number[]
  /** Rao this epoch gave each uid (subtensor's `Emission`). */
  emission: string[]
  validator_permit: boolean[]
  last_update: number[]
  active: boolean[]
  bonds: [number, number][][]
}

/** What the log has shown so far, as counts (cumulative since entry 0). */
export interface VerifierCounts {
  entries: number
  epochs: number
  /** Logged calls by kind; refused calls included (they are logged with subtensor's error). */
  calls: Record<CallKind, number>
  /** Calls the chain refused, as logged. */
  refused: number
  /** Accepted registrations: each one's proof of work was checked. */
  registrations: number
}

/** One hotkey registered on the verified chain, at the head. */
export interface VerifiedNeuron {
  hotkey: string
  uid: number
  registeredAt: number
}

/** What one `push` adds. Every field but `epochs`, `calls` and `divergence` is the state after it. */
export interface VerifierUpdate {
  ok: boolean
  /** Hash of entry 0 (the chain id), once it has been read. */
  genesis: string | null
  head: { seq: number; hash: string; block: number }
  /** Epochs re-derived by this push, oldest first. */
  epochs: VerifiedEpoch[]
  /** Calls logged by this push: blake2b-256 of the signed body (0x hex) → entry seq. */
  callsByBodyHash: [string, number][]
  /** The first entry that does not follow (this push's or an earlier one's). */
  divergence?: Divergence
  counts: VerifierCounts
  /** Who holds a uid on the verified chain after this push. */
  registered: VerifiedNeuron[]
  /** The subnet as the genesis manifest names it (only with `LogVerifierOptions.detail`, once entry 0 verified). */
  subnet?: { name: string; netuid: number }
}

export interface LogVerifierOptions {
  /** The subnet owner the reader expects (from its manifest): a log of another owner is refused at entry 0. */
  ownerHotkey: string
  /** A hotkey whose uid and rewards each verified epoch reports (`VerifiedEpoch.mine`). */
  watch?: string
  /** Report every uid's metagraph values with each epoch (`VerifiedEpoch.detail`): what a dashboard plots. */
  detail?: boolean
}

/** blake2b-256 of a call's signed body, as `LogReplay.callsByBodyHash` keys it and a mesh reader computes it. */
export function callBodyHash(body: Uint8Array): string {
  return toHex(blake2b(body, { dkLen: 32 }))
}

/**
 * Verifies a log from its first byte on, one batch of whole lines at a time. Stops for good at the
 * first entry that does not follow (a line that is not JSON counts as one).
 * @example const v = new LogVerifier(runExact, { ownerHotkey }); const u = v.push(text); if (!u.ok) show(u.divergence)
 */
export class LogVerifier<O extends LocalEpochOutput = LocalEpochOutput> {
  private readonly replay: LogReplay<O>
  private genesis: string | null = null
  private failed: Divergence | null = null
  private readonly counts: VerifierCounts = { entries: 0, epochs: 0, calls: { register: 0, weights: 0, commit: 0, reveal: 0 }, refused: 0, registrations: 0 }

  constructor(
    runEpoch: EpochFunction<O>,
    private readonly options: LogVerifierOptions,
  ) {
    this.replay = new LogReplay<O>(runEpoch, { ownerHotkey: options.ownerHotkey, keepEpochs: 1 })
  }

  /**
   * Verifies `text`, which must hold whole lines (the caller cuts at the last newline): each
   * non-empty line is one entry, in order after the last one pushed.
   */
  push(text: string): VerifierUpdate {
    const epochs: VerifiedEpoch[] = []
    const calls: [string, number][] = []
    if (text !== '' && !text.endsWith('\n')) throw new LogError('push whole lines only: the text must end with a newline', { code: 'torn_line' })
    for (const line of text.split('\n')) {
      if (this.failed !== null) break
      if (line.trim() === '') continue
      let entry: LogEntry
      try {
        entry = JSON.parse(line) as LogEntry
      } catch {
        this.failed = { seq: this.replay.head.seq + 1, reason: 'malformed', detail: `entry ${this.replay.head.seq + 1} is not a JSON line` }
        break
      }
      const r = this.replay.push(entry)
      if (!r.ok) {
        this.failed = r.divergence
        break
      }
      this.count(entry, epochs, calls)
    }
    return this.update(epochs, calls)
  }

  private count(entry: LogEntry, epochs: VerifiedEpoch[], calls: [string, number][]): void {
    this.counts.entries++
    const body = entry.body
    if (body.type === 'genesis') this.genesis = this.replay.head.hash
    else if (body.type === 'call') {
      this.counts.calls[body.kind]++
      if (!body.result.ok) this.counts.refused++
      else if (body.kind === 'register') this.counts.registrations++
      calls.push([callBodyHash(fromHex(body.call.body)), entry.seq])
    } else if (body.type === 'epoch') {
      const record = this.replay.epochs.at(-1)!
      const watch = this.options.watch
      const uid = watch === undefined ? undefined : this.replay.chain?.uidOf(watch)
      const { incentive, dividends } = record.output.u16
      this.counts.epochs++
      epochs.push({
        epoch: record.epoch,
        block: record.block,
        seq: record.seq,
        digest: record.digest,
        inputDigest: record.inputDigest,
        incentive: [...incentive],
        dividends: [...dividends],
        mine: uid === undefined ? null : { uid, incentive: incentive[uid] ?? 0, dividends: dividends[uid] ?? 0 },
        ...(this.options.detail === true ? { detail: this.detailOf(record.input, record.output) } : {}),
      })
    }
  }

  /** The metagraph after the epoch just replayed (the chain state is the one right after it). */
  private detailOf(input: LocalEpochInput, output: O): EpochDetail {
    const neurons = this.replay.chain?.metagraph().neurons ?? []
    const n = input.n
    // The exact Yuma output has every field; a reduced one (tests' stubs) leaves zeros.
    const full = output as O & Partial<Pick<EpochOutput, 'active'>> & { u16: Partial<EpochOutput['u16']> }
    const u16 = (v: readonly number[] | undefined): number[] => Array.from({ length: n }, (_, i) => v?.[i] ?? 0)
    return {
      hotkey: Array.from({ length: n }, (_, i) => neurons[i]?.hotkey ?? ''),
      stake: Array.from({ length: n }, (_, i) => neurons[i]?.stake ?? input.stake[i] ?? '0'),
      consensus: u16(full.u16.consensus),
      incentive: u16(full.u16.incentive),
      dividends: u16(full.u16.dividends),
      validator_trust: u16(full.u16.validator_trust),
      emission: Array.from({ length: n }, (_, i) => String(output.combined_emission[i] ?? 0)),
      validator_permit: Array.from({ length: n }, (_, i) => output.new_validator_permit[i] === true),
      last_update: Array.from({ length: n }, (_, i) => input.last_update[i] ?? 0),
      active: Array.from({ length: n }, (_, i) => full.active?.[i] === true),
      bonds: Array.from({ length: n }, (_, i) => (output.bonds_u16[i] ?? []).map(([u, b]) => [u, b] as [number, number])),
    }
  }

  private update(epochs: VerifiedEpoch[], calls: [string, number][]): VerifierUpdate {
    const neurons = this.replay.chain?.metagraph().neurons ?? []
    return {
      ok: this.failed === null,
      genesis: this.genesis,
      head: this.replay.head,
      epochs,
      callsByBodyHash: calls,
      ...(this.failed === null ? {} : { divergence: this.failed }),
      counts: { ...this.counts, calls: { ...this.counts.calls } },
      registered: neurons.map((n) => ({ hotkey: n.hotkey, uid: n.uid, registeredAt: n.registeredAt })),
      ...(this.options.detail === true && this.replay.manifest !== null ? { subnet: { name: this.replay.manifest.name, netuid: this.replay.manifest.netuid } } : {}),
    }
  }
}

/** What the log verifier worker exposes over comlink. */
export interface LogVerifierEndpoint {
  /** Starts over with a fresh verifier (a new chain, or a log read again from byte 0). */
  start(options: LogVerifierOptions): Promise<void>
  push(text: string): VerifierUpdate
}
