// Seeded mutation fuzzing of discovery records (openRecord, and the RecordGuard peers and the
// relay run) and of the relay's directory answers (parseDirectory): byte mutations of sealed
// records and answers, and structural mutations of their decoded fields, re-encoded (and, some,
// sealed again with the right key). Every input ends in a typed verdict; nothing may throw, no
// forged or mutated record may open, and every directory entry that comes out is well-formed.
// FUZZ_INPUTS sets the count per decoder (default 10^4; test/p2p/fuzz.heavy.test.ts runs 10^5).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decode as cborDecode, encode as cborEncode } from 'cborg'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { encodeDirectory, MAX_RECORD_ADDRS, openRecord, parseDirectory, RecordGuard, sealRecord, type SealedRecord } from './discovery.ts'
import { formatReport, fuzz, fuzzInputs, mutateBytes, mutateJson, Rng } from '../../test/support/fuzz.ts'

const N = fuzzInputs(10_000)
const NOW = 1_800_000_000_000
const keys: PrivateKey[] = await Promise.all(Array.from({ length: 4 }, () => generateKeyPair('Ed25519')))
const ids = keys.map((k) => peerIdFromPrivateKey(k).toString())

const seed = new Rng(7)
const addrOf = (i: number, id: string) =>
  seed.pick([`/ip4/8.8.${i % 256}.1/tcp/${4000 + i}/p2p/${id}`, `/ip4/1.2.3.4/tcp/443/tls/ws/p2p/R/p2p-circuit/webrtc/p2p/${id}`, `/dns4/n${i}.example.org/tcp/443/tls/ws/p2p/${id}`])
const records: SealedRecord[] = Array.from({ length: 40 }, (_, i) => {
  const k = i % keys.length
  const n = seed.int(8) + (i % 10 === 0 ? 24 : 0)
  return { id: ids[k], addrs: Array.from({ length: n }, (_, j) => addrOf(j, ids[k])), ...(seed.chance(0.7) ? { slots: seed.int(9) } : {}), ts: NOW - seed.int(60_000) }
})
const sealed = await Promise.all(records.map((r, i) => sealRecord(r, (d) => keys[i % keys.length].sign(d))))
const bodies = sealed.map((b) => cborDecode((cborDecode(b) as [Uint8Array, Uint8Array])[0]) as unknown)

/** A record input: byte mutations of a sealed record, or a mutated body sealed (well or badly) again. */
async function recordInput(rng: Rng, i: number): Promise<Uint8Array> {
  const k = i % sealed.length
  if (!rng.chance(0.25)) return mutateBytes(rng, sealed[k], sealed)
  const fields = mutateJson(rng, bodies[k], bodies, { huge: false, keys: ['id', 'ts', 'addrs', 'slots'] })
  let body: Uint8Array
  try {
    body = cborEncode(fields)
  } catch {
    return mutateBytes(rng, sealed[k], sealed)
  }
  const key = keys[k % keys.length]
  const signature = rng.chance(0.2) ? await key.sign(new Uint8Array([...new TextEncoder().encode('webtensor-discovery-record:'), ...body])) : new Uint8Array(64).map(() => rng.int(256))
  return cborEncode([body, signature])
}

test(`discovery records: ${N} mutated inputs open to a typed verdict; only well-formed, correctly sealed ones open`, async () => {
  const rng = new Rng(0xd15c)
  const inputs = await Promise.all(Array.from({ length: N }, (_, i) => recordInput(rng, i)))
  const report = await fuzz('discovery record (openRecord)', N, (i) => inputs[i], async (x) => {
    const r = await openRecord(x as Uint8Array, NOW)
    if (!r.ok) return r.error
    // Whatever opens is a record in range: fields checked, sealed by the key its id names.
    assert.ok(ids.includes(r.record.id) && r.record.addrs.length <= MAX_RECORD_ADDRS && r.record.addrs.every((a) => typeof a === 'string' && a.startsWith('/')))
    return 'accepted'
  })
  console.log(formatReport(report))
  assert.equal(report.crashCount, 0, JSON.stringify(report.crashes))
  assert.ok(report.rejected.malformed > 0 && report.rejected.bad_signature > 0)

  // The same inputs through the guard peers and the relay run, from a few neighbours.
  const guard = new RecordGuard({ neighbourRate: { perSecond: 1e12, burst: 1e12 }, ownerRate: { perSecond: 1e12, burst: 1e12 } })
  const guarded = await fuzz('discovery record (RecordGuard.check)', N, (i) => inputs[i], async (x) => {
    const v = await guard.check(x as Uint8Array, `neighbour-${rng.int(3)}`, NOW)
    if (v.ok) return 'accepted'
    assert.ok(v.action === 'reject' || v.action === 'ignore')
    return v.reason
  })
  console.log(formatReport(guarded))
  assert.equal(guarded.crashCount, 0, JSON.stringify(guarded.crashes))
  assert.equal(guarded.accepted, report.accepted, 'the guard opens exactly what openRecord opens')
})

test(`directory answers: ${N} mutated answers parse to well-formed entries, never a throw`, async () => {
  const rng = new Rng(0xd1c7)
  const answers = Array.from({ length: 12 }, (_, i) => encodeDirectory(records.slice(i, i + 1 + rng.int(20))))
  const answerValues = answers.map((a) => cborDecode(a) as unknown)
  let entries = 0
  const report = await fuzz(
    'directory answer (parseDirectory)',
    N,
    (i) => {
      const k = i % answers.length
      if (!rng.chance(0.3)) return mutateBytes(rng, answers[k], answers)
      try {
        return cborEncode(mutateJson(rng, answerValues[k], answerValues, { huge: false, keys: ['id', 'addrs', 'slots'] }))
      } catch {
        return mutateBytes(rng, answers[k], answers)
      }
    },
    (x) => {
      const out = parseDirectory(x as Uint8Array)
      for (const e of out) {
        assert.ok(typeof e.id === 'string' && e.id.length > 0 && e.id.length <= 128)
        assert.ok(Array.isArray(e.addrs) && e.addrs.length <= MAX_RECORD_ADDRS && e.addrs.every((a) => typeof a === 'string' && a.startsWith('/')))
        assert.ok(e.slots === undefined || (Number.isInteger(e.slots) && e.slots >= 0))
      }
      entries += out.length
      return out.length > 0 ? 'accepted' : 'empty'
    },
  )
  console.log(formatReport(report), `| entries ${entries}`)
  assert.equal(report.crashCount, 0, JSON.stringify(report.crashes))
})
