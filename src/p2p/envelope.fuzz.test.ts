// Seeded mutation fuzzing of the envelope decoder through the inbound guard (what every gossip
// message meets): byte mutations of signed envelopes of every kind, and structural mutations of
// their decoded bodies (type confusion, huge and NaN-ish numbers, deep nesting, huge arrays),
// re-encoded and signed. Every input must end in a verdict (accepted, or refused with a reason and
// a gossipsub action); nothing may throw. FUZZ_INPUTS sets the count (default 10^4; test/p2p/fuzz.heavy.test.ts runs 10^5).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decode as cborDecode, encode as cborEncode } from 'cborg'
import { hotkeyFromSecret } from '../identity/identity.ts'
import { canonicalEncode, encodeEnvelope, MESSAGE_KINDS, type Envelope, type MessageKind, type Payloads } from './envelope.ts'
import { InboundGuard } from './guard.ts'
import { ensureRuntime } from './runtime.ts'
import { formatReport, fuzz, fuzzInputs, mutateBytes, mutateJson, Rng } from '../../test/support/fuzz.ts'

await ensureRuntime() // the verifier peers run
const alice = await hotkeyFromSecret('//Alice')
const bob = await hotkeyFromSecret('//Bob')
const PEER = '12D3KooWFuzzPeer000000000000000000000000000000000'
const NOW = 1_800_000_000_000
const N = fuzzInputs(10_000)

/** Valid payloads of every kind, varied by a seeded generator. */
function payload(rng: Rng, kind: MessageKind): Payloads[MessageKind] {
  const n = rng.int(12)
  const ints = (max: number) => Array.from({ length: n }, () => rng.int(max))
  switch (kind) {
    case 'announce':
      return { role: rng.pick(['miner', 'validator', 'owner'] as const), agent: 'webtensor/0.1', ...(rng.chance(0.5) ? { model: 'webtensor/tiny-gpt2', device: 'wasm' } : {}) }
    case 'query':
      return { id: `q${rng.int(1e6)}`, miner: bob.address, task: 'text-generation', input: { prompt: 'The quick brown fox '.repeat(1 + rng.int(5)), maxNewTokens: 1 + rng.int(64), temperature: 1, seed: rng.int(2 ** 32) } }
    case 'response':
      return { queryId: `q${rng.int(1e6)}`, validator: bob.address, answer: { tokenIds: ints(50257), text: 'lorem ipsum', logprobs: Array.from({ length: n }, () => -rng.next() * 10) } }
    case 'ask':
      return { id: `a${rng.int(1e6)}`, miner: bob.address, prompt: 'Tell me about '.repeat(1 + rng.int(5)), maxNewTokens: 1 + rng.int(256) }
    case 'answer':
      return { askId: `a${rng.int(1e6)}`, asker: bob.address, text: 'lorem ipsum '.repeat(rng.int(20)), tokens: rng.int(256) }
    case 'weights': {
      const uids = [...new Set(ints(256))]
      return { epoch: rng.int(1000), uids, weights: uids.map(() => rng.int(65536)), versionKey: String(rng.int(1e6)) }
    }
    case 'metagraph':
      return {
        block: rng.int(1e6),
        epoch: rng.int(1e4),
        tempo: 1 + rng.int(360),
        neurons: Array.from({ length: n }, (_, uid) => ({ uid, hotkey: rng.chance(0.5) ? alice.address : bob.address, stake: String(rng.int(1e15)), registeredAt: rng.int(1e6), validatorPermit: rng.chance(0.5), lastUpdate: rng.int(1e6) })),
        chain: { genesis: hash32(rng), session: `s${rng.int(1e6)}`, head: rng.int(1e6), headHash: hash32(rng) },
        blockHash: hash32(rng),
        difficulty: String(rng.int(1e9)),
      }
    case 'epoch':
      return {
        epoch: rng.int(1e4),
        block: rng.int(1e6),
        incentive: ints(65536),
        dividends: ints(65536),
        digest: 'ab'.repeat(32),
        ...(rng.chance(0.5) ? { inputDigest: 'cd'.repeat(32) } : {}),
        chain: { genesis: hash32(rng), session: `s${rng.int(1e6)}` },
        logSeq: rng.int(1e6),
      }
    case 'register':
      return { block: rng.int(1e6), nonce: String(rng.int(2 ** 48)), seal: hash32(rng) }
    case 'commit':
      return { hash: hash32(rng) }
    case 'reveal': {
      const uids = [...new Set(ints(256))]
      return { uids, weights: uids.map(() => rng.int(65536)), salt: Array.from({ length: 8 }, () => rng.int(65536)), versionKey: String(rng.int(1e6)) }
    }
  }
}

function hash32(rng: Rng): string {
  return `0x${Array.from({ length: 32 }, () => rng.int(256).toString(16).padStart(2, '0')).join('')}`
}

const seedRng = new Rng(1)
const valid: Envelope[] = []
for (let i = 0; i < 120; i++) {
  const kind = MESSAGE_KINDS[i % MESSAGE_KINDS.length]
  valid.push({ netuid: 1, kind, hotkey: alice.address, peerId: PEER, seq: i + 1, timestamp: NOW - seedRng.int(30_000), payload: payload(seedRng, kind) })
}
const wire = valid.map((e) => encodeEnvelope(e, alice))
const KEYS = ['netuid', 'kind', 'hotkey', 'peerId', 'seq', 'timestamp', 'payload', 'role', 'agent', 'model', 'device', 'id', 'miner', 'task', 'input', 'prompt', 'maxNewTokens', 'temperature', 'seed', 'queryId', 'validator', 'answer', 'tokenIds', 'text', 'logprobs', 'epoch', 'uids', 'weights', 'block', 'tempo', 'neurons', 'uid', 'stake', 'registeredAt', 'validatorPermit', 'lastUpdate', 'incentive', 'dividends', 'digest', 'inputDigest', 'versionKey', 'chain', 'genesis', 'session', 'head', 'headHash', 'blockHash', 'difficulty', 'logSeq', 'nonce', 'seal', 'hash', 'salt', 'askId', 'asker', 'tokens']
const bodies = valid.map((e) => cborDecode(canonicalEncode(e)) as unknown)

test(`envelopes: ${N} mutated inputs through the guard end in a verdict, never a throw`, async () => {
  const rng = new Rng(0x5eed)
  const guard = new InboundGuard({ netuid: 1, peerRate: { perSecond: 1e12, burst: 1e12 }, hotkeyRate: { perSecond: 1e12, burst: 1e12 } })
  const actions: Record<string, number> = {}
  let signed = 0
  const report = await fuzz(
    'envelope (guard.check)',
    N,
    (i) => {
      const k = i % valid.length
      const kind = valid[k].kind
      // 1 in 5: mutate the decoded body, then encode (and, 1 in 10 of those, sign) it again, so the
      // schema and later checks see it; else mutate the signed bytes.
      if (rng.chance(0.2)) {
        const body = mutateJson(rng, bodies[k], bodies, { huge: false, keys: KEYS })
        let bytes: Uint8Array
        try {
          bytes = canonicalEncode(body)
        } catch {
          return { kind, bytes: mutateBytes(rng, wire[k], wire) } // not CBOR-encodable: mutate bytes instead
        }
        const sign = rng.chance(0.1)
        if (sign) signed++
        return { kind, bytes: cborEncode([bytes, sign ? alice.sign(bytes) : rng.pick([new Uint8Array(64), wire[k].subarray(wire[k].length - 64)])]) }
      }
      return { kind: rng.chance(0.9) ? kind : rng.pick(MESSAGE_KINDS), bytes: mutateBytes(rng, wire[k], wire) }
    },
    (x) => {
      const { kind, bytes } = x as { kind: MessageKind; bytes: Uint8Array }
      const v = guard.check(bytes, kind, PEER, NOW)
      if (v.ok) return 'accepted'
      assert.ok(v.detail !== undefined && (v.action === 'reject' || v.action === 'ignore'))
      actions[v.action] = (actions[v.action] ?? 0) + 1
      return v.reason
    },
  )
  console.log(formatReport(report), `| actions ${JSON.stringify(actions)}; re-signed bodies ${signed}`)
  assert.deepEqual(report.crashes, [])
  assert.equal(report.crashCount, 0)
  assert.ok(Object.keys(report.rejected).length >= 6, 'the mutations reach many checks')
  // The valid envelopes themselves still pass (the fuzzing did not wear out the verifier).
  const fresh = new InboundGuard({ netuid: 1 })
  for (const [i, e] of valid.entries()) assert.ok(fresh.check(encodeEnvelope({ ...e, seq: 1e6 + i, timestamp: NOW }, alice), e.kind, PEER, NOW).ok)
})
