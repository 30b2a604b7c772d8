/**
 * Follows an owner's chain log over HTTP, fetching only what is new: `Range: bytes=N-` from the
 * byte it has processed (one byte earlier, in fact, to check that the byte before is still the
 * newline it ended on), and handing whole lines to a verifier. A log that shrank, a range answer
 * that does not fit, or a server that sends the whole file (200) means starting over from byte 0
 * with a fresh verifier — once per sync; a second mismatch in the same sync is an error.
 */
import { WebtensorError } from '../errors.ts'
import type { VerifierUpdate } from './log-verifier.ts'

/** The log could not be read consistently (HTTP error, or it changed under the reader twice in a row). */
export class LogFetchError extends WebtensorError {
  override name = 'LogFetchError'
}

/** Where the follower hands lines: a `LogVerifier` (in a worker, or in this thread for tests). */
export interface LogSink {
  /** Forget everything: entry 0 comes next. */
  reset(): Promise<void>
  push(text: string): Promise<VerifierUpdate>
}

/** What one `sync()` did. */
export interface SyncResult {
  /** The verifier's answers, in order (none when nothing new was there). */
  updates: VerifierUpdate[]
  /** Why the follower started over from byte 0 during this sync, if it did. */
  restarted: string | null
  /** Bytes of whole lines processed so far (from byte 0). */
  offset: number
}

const NEWLINE = 0x0a

/**
 * @example const f = new LogFollower({ url: '/chain/log.jsonl', sink }); const { updates } = await f.sync()
 */
export class LogFollower {
  private processed = 0
  private readonly fetchFn: typeof fetch
  private readonly maxPushBytes: number

  /** `maxPushBytes`: about how much of the log one `push` gets (default 1 MiB; a longer line goes whole). */
  constructor(private readonly options: { url: string | URL; sink: LogSink; fetch?: typeof fetch; maxPushBytes?: number }) {
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init))
    this.maxPushBytes = Math.max(1, options.maxPushBytes ?? 1 << 20)
  }

  /** Bytes of whole lines handed to the verifier so far. */
  get offset(): number {
    return this.processed
  }

  /** Starts over from byte 0 with a fresh verifier (a new chain). */
  async restart(): Promise<void> {
    this.processed = 0
    await this.options.sink.reset()
  }

  /** Fetches and verifies what is new since the last sync. */
  async sync(): Promise<SyncResult> {
    const updates: VerifierUpdate[] = []
    let restarted: string | null = null
    const startOver = async (why: string): Promise<void> => {
      if (restarted !== null) throw new LogFetchError(`the log changed under the reader twice in a row (${restarted}; then ${why})`, { code: 'inconsistent' })
      restarted = why
      await this.restart()
    }
    for (;;) {
      const from = this.processed
      const ranged = from > 0
      const res = await this.fetchFn(this.options.url, { cache: 'no-store', headers: ranged ? { Range: `bytes=${from - 1}-` } : {} })
      let body: Uint8Array
      if (res.status === 416) {
        await res.body?.cancel()
        const total = /^bytes \*\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1]
        await startOver(total !== undefined && Number(total) < from ? `the log shrank to ${total} bytes from ${from}` : `the server refused the range from byte ${from - 1}`)
        continue
      }
      if (res.status === 200) {
        body = new Uint8Array(await res.arrayBuffer())
        if (ranged) {
          // The server sent the whole file: whatever changed, read it from byte 0.
          await startOver('the server sent the whole log instead of the range')
        }
      } else if (res.status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '')
        const bytes = new Uint8Array(await res.arrayBuffer())
        const expected = ranged ? from - 1 : 0
        if (m === null || Number(m[1]) !== expected) {
          await startOver(`the range answer starts at ${m?.[1] ?? '?'}, not ${expected}`)
          continue
        }
        if (ranged && bytes[0] !== NEWLINE) {
          await startOver(`byte ${from - 1} is no longer the end of a line: the log was rewritten`)
          continue
        }
        body = ranged ? bytes.subarray(1) : bytes
      } else {
        await res.body?.cancel()
        throw new LogFetchError(`${String(this.options.url)} answered ${res.status}`, { code: 'unreadable' })
      }
      // Whole lines only, in pieces of about `maxPushBytes` (a long log is not one huge string).
      const end = body.lastIndexOf(NEWLINE) + 1
      const decoder = new TextDecoder()
      for (let start = 0; start < end; ) {
        const cut = start + this.maxPushBytes >= end ? end : Math.max(body.lastIndexOf(NEWLINE, start + this.maxPushBytes - 1) + 1, body.indexOf(NEWLINE, start) + 1)
        updates.push(await this.options.sink.push(decoder.decode(body.subarray(start, cut))))
        this.processed += cut - start
        start = cut
      }
      return { updates, restarted, offset: this.processed }
    }
  }
}
