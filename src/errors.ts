/**
 * Base class of every error webtensor throws on purpose, so callers can tell ours from the
 * runtime's with one `instanceof`. Each layer derives its own (e.g. `YumaInputError`).
 */
export class WebtensorError extends Error {
  override name = 'WebtensorError'
  /** Machine-readable reason, stable across versions (e.g. `bad_signature`). */
  readonly code: string
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = options.code ?? 'error'
  }
}
