/**
 * A subnet's protocol: its manifest, the point-to-point query/answer exchange and the tasks it pays
 * for. Above the transport (it uses `src/p2p`), below the roles (`src/node`) that run it.
 */
export { HUGGING_FACE_HUB, ManifestError, parseManifest, type ManifestModelIntegrity, type SubnetManifest, type TaskConfig } from './manifest.ts'
export { DirectDoor, ExchangeError, QUERY_REQUEST, seal, type DirectKind } from './exchange.ts'
export { ASK_REQUEST, AskRefusalError, DEFAULT_ASK_POLICY, askPolicyFor, decodeAskRefusal, encodeAskRefusal, rankMiners, type AskPolicy, type AskRefusal, type AskTarget } from './ask.ts'
export * from './tasks/index.ts'
export { permitsOf, subnetAuthorize, type PermitView } from './door.ts'
