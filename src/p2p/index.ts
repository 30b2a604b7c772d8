/**
 * webtensor's p2p layer: a libp2p mesh of browsers and Node peers exchanging hotkey-signed
 * envelopes over gossipsub, and the relay/bootstrap node browsers need.
 */
export { DISCOVERY_TOPIC, DIRECTORY_PROTOCOL } from './discovery.ts'
export { createMesh, topicFor, type Mesh, type MeshOptions, type MeshStats, type SignedBytes } from './mesh.ts'
export { createRelay, type Relay, type RelayOptions, type RelayMetrics } from './relay.ts'
export {
  encodeEnvelope,
  decodeEnvelope,
  verifyEnvelopeSignature,
  envelopeBody,
  canonicalEncode,
  strictDecode,
  MESSAGE_KINDS,
  GOSSIP_KINDS,
  MAX_WIRE_BYTES,
  type ChainHead,
  type ChainSession,
  type Envelope,
  type MessageKind,
  type Payloads,
  type RejectReason,
  type DecodeResult,
} from './envelope.ts'
export { validatePayload, isHash32, isInt, isPlainObject, isU64Decimal, keysOk, LIMITS } from './schema.ts'
export { InboundGuard, type Authorize, type GuardOptions, type RateLimit, type Verdict } from './guard.ts'
export { TokenBuckets } from './rate.ts'
export { P2PError } from './errors.ts'
export { parseIceServers, IceServerError, ICE_LIMITS, type IceServer } from './ice-servers.ts'
export { sr25519VerifierName } from './verify.ts'
export { requestProtocol, type RequestHandler, type RequestOptions } from './rpc.ts'
