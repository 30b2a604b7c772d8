/**
 * Registering a hotkey by proof of work, as `btcli subnet pow_register` does against subtensor:
 * solve for the newest block, restart when that block grows too old for the chain to accept,
 * submit, and solve again if the registration does not land. The chain and the solver come in as
 * functions, so this runs against the local chain, in Node or a page, with any `PowSolver`.
 * @module
 */
import type { PowSolver } from './pow-solver.ts'

/** The chain head a solve works on. */
export interface PowHead {
  block: number
  blockHash: Uint8Array
  difficulty: bigint
}

/** The registration extrinsic's work: block number, nonce, and the seal for them. */
export interface PowWork {
  block: number
  nonce: bigint
  seal: Uint8Array
}

/** One status line for a UI or log. */
export interface PowRegisterProgress {
  phase: 'waiting' | 'solving' | 'submitted' | 'registered'
  tries?: number
  hashesPerSecond?: number
  difficulty?: bigint
  block?: number
}

export interface RegisterByPowOptions {
  hotkeyPublicKey: Uint8Array
  /** The newest block, its hash and the subnet's difficulty; null until the chain has a head. */
  latest(): PowHead | null
  solve: PowSolver
  /** Sends the registration; a rejection ends `registerByPow` with that error. */
  submit(work: PowWork): Promise<void>
  isRegistered(): boolean
  onProgress?(line: PowRegisterProgress): void
  /** Aborting rejects with the signal's reason. */
  signal?: AbortSignal
  /**
   * Restart the solve once the head is more than this many blocks past the job's block. Default 2:
   * subtensor refuses work whose block is 3 or more blocks old (`InvalidWorkBlock`).
   */
  staleAfterBlocks?: number
  /** Blocks past the submission head to wait for the registration before solving again (default 3). */
  confirmBlocks?: number
  /** How often to poll `latest` and `isRegistered` (ms, default 200). */
  pollMs?: number
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return }
    const onAbort = (): void => { clearTimeout(timer); reject(signal?.reason) }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Registers `hotkeyPublicKey` by PoW and resolves once `isRegistered()` is true. Waits for a chain
 * head; solves for the newest block's hash; if the chain moves more than `staleAfterBlocks` past
 * that block before a seal is found, aborts the solve and starts over on the new head; submits a
 * seal that is still fresh; then polls `isRegistered` for up to `confirmBlocks` blocks and solves
 * again if the registration did not land (another key took the slot, the difficulty rose, the
 * submission was lost).
 */
export async function registerByPow(opts: RegisterByPowOptions): Promise<void> {
  const { signal, onProgress } = opts
  const staleAfter = opts.staleAfterBlocks ?? 2
  const confirmBlocks = opts.confirmBlocks ?? 3
  const pollMs = opts.pollMs ?? 200
  const isStale = (jobBlock: number): boolean => {
    const head = opts.latest()
    return head !== null && head.block - jobBlock > staleAfter
  }

  for (;;) {
    signal?.throwIfAborted()
    if (opts.isRegistered()) { onProgress?.({ phase: 'registered' }); return }

    let head = opts.latest()
    if (head === null) {
      onProgress?.({ phase: 'waiting' })
      while ((head = opts.latest()) === null) await sleep(pollMs, signal)
    }
    const job = { blockHash: head.blockHash, hotkeyPublicKey: opts.hotkeyPublicKey, difficulty: head.difficulty }
    const base = { difficulty: head.difficulty, block: head.block }
    onProgress?.({ phase: 'solving', ...base })

    // The solve ends on a seal, on the caller's abort, or when the head outruns the job.
    const attempt = new AbortController()
    const onAbort = (): void => attempt.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    const watch = setInterval(() => {
      if (isStale(base.block) || opts.isRegistered()) attempt.abort()
    }, pollMs)
    let work: PowWork | null = null
    try {
      const found = await opts.solve(job, {
        signal: attempt.signal,
        onProgress: (p) => onProgress?.({ phase: 'solving', tries: p.tries, hashesPerSecond: p.hashesPerSecond, ...base }),
      })
      if (found !== null) work = { block: base.block, nonce: found.nonce, seal: found.seal }
    } finally {
      clearInterval(watch)
      signal?.removeEventListener('abort', onAbort)
    }
    signal?.throwIfAborted()
    if (work === null || isStale(work.block)) continue

    await opts.submit(work)
    onProgress?.({ phase: 'submitted', ...base })
    const submittedAt = opts.latest()?.block ?? work.block
    while (!opts.isRegistered()) {
      const now = opts.latest()?.block ?? submittedAt
      if (now - submittedAt >= confirmBlocks) break
      await sleep(pollMs, signal)
    }
  }
}
