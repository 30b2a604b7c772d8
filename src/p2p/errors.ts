import { WebtensorError } from '../errors.ts'

/** Errors thrown by the p2p layer (bad options, publishing while stopped, oversize payloads, …). */
export class P2PError extends WebtensorError {
  override name = 'P2PError'
}
