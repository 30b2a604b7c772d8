import { WebtensorError } from '../errors.ts'

/** A busy-time share outside (0, 1], or a window that is not a positive finite number. */
export class BusyBudgetError extends WebtensorError {
  override name = 'BusyBudgetError'
}

/**
 * How much of the time a piece of work (the model) may run: a leaky bucket of busy time. Credit
 * grows at `share` ms per ms of wall time, up to `share × windowMs` (so a burst after a quiet spell
 * is allowed), and every finished job takes its duration off. A job may start while the credit is
 * not negative, so over any long stretch the busy time is at most `share` of it, plus one window's
 * burst and one job. Pure: the caller passes the clock's readings (ms, monotonic).
 *
 * @example const b = new BusyBudget(0.5, 0); if (b.canStart(now)) { …; b.record(now, performance.now()) }
 */
export class BusyBudget {
  private shareNow: number
  readonly windowMs: number
  private credit: number
  private at: number

  constructor(share: number, start: number, windowMs = 10_000) {
    if (!(share > 0 && share <= 1)) throw new BusyBudgetError(`busy share ${share} is not in (0, 1]`, { code: 'bad_share' })
    if (!(windowMs > 0 && Number.isFinite(windowMs))) throw new BusyBudgetError(`window ${windowMs} ms is not a positive number`, { code: 'bad_window' })
    this.shareNow = share
    this.windowMs = windowMs
    this.credit = share * windowMs
    this.at = start
  }

  /** The share of time jobs may run, in (0, 1]. */
  get share(): number {
    return this.shareNow
  }

  /**
   * Changes the share from `now` on (a host page moving its throttle): time so far is credited at
   * the old share, and the credit is capped at the new share's window, so lowering the share takes
   * effect at once instead of after a banked burst.
   */
  setShare(share: number, now: number): void {
    if (!(share > 0 && share <= 1)) throw new BusyBudgetError(`busy share ${share} is not in (0, 1]`, { code: 'bad_share' })
    this.advance(now)
    if (now > this.at) this.at = now
    this.shareNow = share
    this.credit = Math.min(this.credit, share * this.windowMs)
  }

  private advance(now: number): void {
    if (now > this.at) {
      this.credit = Math.min(this.share * this.windowMs, this.credit + (now - this.at) * this.share)
      this.at = now
    }
  }

  /** Whether a job may start at `now` (a share of 1 always may). */
  canStart(now: number): boolean {
    if (this.share >= 1) return true
    this.advance(now)
    return this.credit >= 0
  }

  /** Takes a finished job's busy time (`end - start` ms) off the credit. */
  record(start: number, end: number): void {
    if (this.share >= 1) return
    this.advance(end)
    this.credit -= Math.max(0, end - start)
  }

  /** The credit left at `now` in ms of busy time (negative: over budget until it refills). */
  creditAt(now: number): number {
    this.advance(now)
    return this.credit
  }
}

/**
 * Parses a `throttle` attribute (share of time the model may run) into (0, 1]; a missing, empty
 * or malformed value is 1 (no throttle), a value ≤ 0 or above 1 is clamped to [0.05, 1].
 */
export function parseThrottle(value: string | null | undefined): number {
  if (value === null || value === undefined || value.trim() === '') return 1
  const x = Number(value)
  if (!Number.isFinite(x)) return 1
  return Math.min(1, Math.max(0.05, x))
}
