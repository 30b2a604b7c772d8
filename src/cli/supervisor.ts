import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { WebtensorError } from '../errors.ts'

/** Restart back-off: `initialMs`, doubling per quick failure up to `maxMs`; a child that ran `resetAfterMs` starts over at `initialMs`. */
export interface Backoff {
  initialMs: number
  maxMs: number
  resetAfterMs: number
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 }

/** The delay before restart number `failures + 1` after `failures` quick failures in a row. */
export function restartDelay(failures: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures, 30))
}

/** The first child exited before it reported ready: a configuration error, not a crash to retry. */
export class ChildStartError extends WebtensorError {
  override name = 'ChildStartError'
  constructor(name: string, how: string) {
    super(`the ${name} process ${how} before it was ready`, { code: 'child_start_failed' })
  }
}

export type SupervisedState = 'starting' | 'running' | 'restarting' | 'stopped'

export interface SupervisorOptions {
  /** Names the child in log lines, and prefixes each line it prints: `[name] …`. */
  name: string
  /** Starts one child, with an IPC channel and piped stdout/stderr. */
  spawn(): ChildProcess
  /** Every IPC message of the current child (`{ kind: 'ready' }` is also handled here); `reply` answers that child. */
  onMessage(message: unknown, reply: (answer: object) => void): void
  /** Called when a child is gone (crashed, killed or stopped), before any restart. */
  onExit?(): void
  /** The supervisor's own lines (start, exit, restart). */
  log(line: string): void
  /** A line the child printed, already prefixed. */
  out?(line: string, stream: 'stdout' | 'stderr'): void
  backoff?: Backoff
}

export interface Supervisor {
  /** Resolves when the first child reports ready; rejects with `ChildStartError` if it exits first. */
  readonly ready: Promise<void>
  readonly state: SupervisedState
  readonly restarts: number
  readonly pid: number | undefined
  /** Stops the child (SIGTERM, then SIGKILL after `graceMs`) and restarts no more. */
  stop(graceMs?: number): Promise<void>
}

/**
 * Runs a child process and restarts it with back-off whenever it dies, so a crash there (a bug,
 * hostile input, memory) takes down only that child. The child reports `{ kind: 'ready' }` over
 * IPC once it is up; a first child that dies before that fails `ready` instead of looping.
 */
export function supervise(options: SupervisorOptions): Supervisor {
  const backoff = options.backoff ?? DEFAULT_BACKOFF
  const out = options.out ?? ((line, stream) => void (stream === 'stdout' ? process.stdout : process.stderr).write(`${line}\n`))
  let child: ChildProcess | undefined
  let state: SupervisedState = 'starting'
  let restarts = 0
  let failures = 0
  let everReady = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let resolveReady!: () => void
  let rejectReady!: (err: Error) => void
  const ready = new Promise<void>((ok, fail) => {
    resolveReady = ok
    rejectReady = fail
  })
  // Without a listener, a rejected `ready` nobody awaited would itself be an uncaught error.
  ready.catch(() => {})

  const launch = (): void => {
    const startedAt = Date.now()
    const c = options.spawn()
    child = c
    for (const [stream, name] of [[c.stdout, 'stdout'], [c.stderr, 'stderr']] as const) {
      if (stream === null) continue
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out(`[${options.name}] ${line}`, name))
    }
    c.on('message', (message: unknown) => {
      if (c !== child) return
      if (typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'ready') {
        state = 'running'
        everReady = true
        resolveReady()
      }
      options.onMessage(message, (answer) => {
        // The child may be gone by now: a failed send is not an error of ours.
        if (c.connected) c.send(answer, undefined, {}, () => {})
      })
    })
    let gone = false
    const onGone = (how: string): void => {
      if (gone) return
      gone = true
      if (c === child) child = undefined
      options.onExit?.()
      if (state === 'stopped') return
      if (!everReady) {
        state = 'stopped'
        options.log(`${options.name} process ${how} before it was ready`)
        rejectReady(new ChildStartError(options.name, how))
        return
      }
      if (Date.now() - startedAt >= backoff.resetAfterMs) failures = 0
      const delay = restartDelay(failures++, backoff)
      state = 'restarting'
      options.log(`${options.name} process ${how}; restarting in ${(delay / 1000).toFixed(1)} s`)
      timer = setTimeout(() => {
        timer = undefined
        if (state !== 'restarting') return
        restarts++
        launch()
      }, delay)
    }
    c.on('exit', (code, signal) => onGone(`${c.pid ?? '?'} exited (${signal ?? `code ${code}`})`))
    // A child that could not be spawned emits 'error' and maybe never 'exit'.
    c.on('error', (err) => onGone(`failed: ${err.message}`))
    options.log(`${options.name} process started (pid ${c.pid ?? '?'})`)
  }

  launch()
  return {
    ready,
    get state() {
      return state
    },
    get restarts() {
      return restarts
    },
    get pid() {
      return child?.pid
    },
    async stop(graceMs = 10_000) {
      const wasReady = everReady
      state = 'stopped'
      clearTimeout(timer)
      if (!wasReady) rejectReady(new ChildStartError(options.name, 'was stopped'))
      const c = child
      if (c === undefined || c.exitCode !== null || c.signalCode !== null) return
      const exited = new Promise<void>((ok) => c.once('exit', () => ok()))
      c.kill('SIGTERM')
      const kill = setTimeout(() => c.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(kill)
    },
  }
}
