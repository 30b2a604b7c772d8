/**
 * Signed chain calls for tests: envelopes signed by real sr25519 hotkeys, and proof of work
 * solved against a LocalChain's current block hash.
 */
import { readFileSync } from 'node:fs'
import { hotkeyFromSecret, type Hotkey } from '../../src/identity/index.ts'
import { parseManifest, type SubnetManifest } from '../../src/subnet/manifest.ts'
import { decode } from 'cborg'
import { canonicalEncode, envelopeBody, type Envelope, type MessageKind, type Payloads } from '../../src/p2p/envelope.ts'
import { solveSeal } from '../../src/chain/seal.ts'
import { applyCall, fromHex, toHex, type CallResult, type LocalChain, type LocalEpochOutput } from '../../src/chain/index.ts'

export interface SignedCall {
  envelope: Envelope
  signed: { body: Uint8Array; signature: Uint8Array }
}

let seq = 0

/** An envelope of `kind` from `hotkey`, signed as the mesh signs it. */
export function signedCall<K extends MessageKind>(hotkey: Hotkey, netuid: number, kind: K, payload: Payloads[K]): SignedCall {
  const envelope: Envelope = { netuid, kind, hotkey: hotkey.address, peerId: '12D3KooWtest', seq: ++seq, timestamp: 1_700_000_000_000 + seq, payload } as Envelope
  const body = envelopeBody(envelope)
  return { envelope, signed: { body, signature: hotkey.sign(body) } }
}

/** Solves the proof of work for `hotkey` at the chain's current block (small difficulties only). */
export function registerPayload<O extends LocalEpochOutput>(chain: LocalChain<O>, hotkey: Hotkey, maxTries = 50_000_000): Payloads['register'] {
  const blockHash = chain.blockHash()!
  const found = solveSeal({ blockHash, hotkeyPublicKey: hotkey.publicKey, difficulty: chain.difficulty }, 0n, maxTries)
  if (found === null) throw new Error(`no seal within ${maxTries} tries at difficulty ${chain.difficulty}`)
  return { block: chain.block, nonce: found.nonce.toString(), seal: toHex(found.seal) }
}

/** Registers `hotkey` on the chain directly (solving its work); returns the call's result. */
export function registerOn<O extends LocalEpochOutput>(chain: LocalChain<O>, hotkey: Hotkey): CallResult {
  return applyCall(chain, signedCall(hotkey, chain.netuid, 'register', registerPayload(chain, hotkey)).envelope)
}

const keys = new Map<string, Promise<Hotkey>>()
/** A dev hotkey `//name`, made once per test process. */
export function devKey(name: string): Promise<Hotkey> {
  let k = keys.get(name)
  if (k === undefined) keys.set(name, (k = hotkeyFromSecret(`//${name}`)))
  return k
}

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- test overrides of a JSON manifest

const base = JSON.parse(readFileSync(new URL('../../subnets/default.json', import.meta.url), 'utf8')) as Json

/** The default manifest with easy proof of work and `patch` applied to its JSON. */
export function testManifest(patch: (m: Json) => void = () => {}): SubnetManifest {
  const m = structuredClone(base)
  m.chain.registration = { ...m.chain.registration, difficulty: '50', minDifficulty: '10' }
  patch(m)
  return parseManifest(m)
}

/**
 * A logged weights call's body (0x hex CBOR, as its author signed it) with its first weight
 * changed (x XOR 1: the same CBOR length, so the log line keeps its length).
 */
export function withWeightChanged(bodyHex: string): string {
  const body = decode(fromHex(bodyHex)) as { payload: { weights: number[] } }
  body.payload.weights[0] = body.payload.weights[0]! ^ 1
  const changed = toHex(canonicalEncode(body))
  if (changed.length !== bodyHex.length || changed === bodyHex) throw new Error('the weight did not change in place')
  return changed
}
