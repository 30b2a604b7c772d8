import { decodeEnvelope, verifyEnvelopeSignature, type Envelope } from '../p2p/index.ts'
import { ClientError } from './connect.ts'

/**
 * Checks an answer's signed bytes again, offline (e.g. one stored or passed on): canonical,
 * well-formed, and signed by the hotkey it names. Whether that hotkey is a registered miner is
 * the chain's to say (`network.metagraph()`).
 * @example const { hotkey, payload } = verifyAnswer(answer.signed, 1)
 */
export function verifyAnswer(signed: Uint8Array, netuid: number): Envelope<'answer'> {
  const d = decodeEnvelope(signed, { netuid, kind: 'answer' })
  if (!d.ok) throw new ClientError(`not an answer: ${d.reason} (${d.detail})`, { code: d.reason })
  if (!verifyEnvelopeSignature(d)) throw new ClientError(`the answer is not signed by ${d.envelope.hotkey}`, { code: 'bad_signature' })
  return d.envelope as Envelope<'answer'>
}
