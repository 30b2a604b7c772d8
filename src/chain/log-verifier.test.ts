import { test } from 'node:test'
import assert from 'node:assert/strict'
import { exactEpoch, ownerLog } from '../../test/support/owner-log.ts'
import { devKey, withWeightChanged } from '../../test/support/chain-calls.ts'
import { LogReplay, logLine } from './log.ts'
import { LogVerifier, type VerifierUpdate } from './log-verifier.ts'

test('pushed in pieces or at once, the verifier re-derives every epoch and reports each call once', async () => {
  const net = await ownerLog(40)
  await net.owner.stop()
  const lines = net.entries.map(logLine)
  const miner = net.miners[0]!.address
  const once = new LogVerifier(exactEpoch, { ownerHotkey: net.manifest.owner.hotkey, watch: miner }).push(lines.join(''))
  assert.equal(once.ok, true, JSON.stringify(once.divergence))

  // The same log in uneven batches of whole lines.
  const pieces = new LogVerifier(exactEpoch, { ownerHotkey: net.manifest.owner.hotkey, watch: miner })
  const updates: VerifierUpdate[] = [pieces.push('')]
  for (let i = 0, size = 1; i < lines.length; i += size, size = (size % 5) + 1) updates.push(pieces.push(lines.slice(i, i + size).join('')))
  const last = updates.at(-1)!
  assert.deepEqual(updates.flatMap((u) => u.epochs), once.epochs)
  assert.deepEqual(updates.flatMap((u) => u.callsByBodyHash), once.callsByBodyHash)
  assert.deepEqual(last.head, once.head)
  assert.deepEqual(last.counts, once.counts)
  assert.deepEqual(last.registered, once.registered)

  // Everything LogReplay knows, as the owner ran it.
  const replay = new LogReplay(exactEpoch)
  for (const e of net.entries) replay.push(e)
  assert.deepEqual(once.callsByBodyHash, [...replay.callsByBodyHash])
  assert.equal(once.genesis, net.owner.genesis)
  assert.deepEqual(once.epochs.map((e) => [e.epoch, e.block, e.digest]), net.owner.epochs.map((e) => [e.epoch, e.block, once.epochs.find((v) => v.epoch === e.epoch)!.digest]))
  assert.ok(once.epochs.length >= 3)
  const latest = net.owner.latestEpoch()!
  const mine = once.epochs.at(-1)!
  assert.deepEqual([mine.seq, mine.digest, mine.incentive, mine.dividends], [latest.logSeq, latest.digest, latest.incentive, latest.dividends])
  const uid = net.owner.chain.uidOf(miner)!
  assert.deepEqual(mine.mine, { uid, incentive: latest.incentive[uid], dividends: latest.dividends[uid] })
  const stranger = new LogVerifier(exactEpoch, { ownerHotkey: net.manifest.owner.hotkey, watch: (await devKey('NeverRegistered')).address }).push(lines.join(''))
  assert.ok(stranger.epochs.every((e) => e.mine === null), 'a hotkey without a uid has no rewards')
  assert.equal(once.counts.registrations, 2)
  assert.equal(once.counts.calls.register, 2)
  assert.ok(once.counts.calls.weights >= 5)
  assert.deepEqual(once.registered.map((n) => n.hotkey).sort(), net.owner.chain.metagraph().neurons.map((n) => n.hotkey).sort())
})

test('the first entry that does not follow is named, and the verifier stops there', async () => {
  const net = await ownerLog(30)
  await net.owner.stop()
  const lines = net.entries.map(logLine)
  const weightSeq = net.entries.findIndex((e) => e.body.type === 'call' && e.body.kind === 'weights')
  // One weight value changed inside the signed call body (same length).
  const tampered = structuredClone(net.entries)
  const call = (tampered[weightSeq]!.body as { call: { body: string } }).call
  call.body = withWeightChanged(call.body)
  const v = new LogVerifier(exactEpoch, { ownerHotkey: net.manifest.owner.hotkey })
  const before = v.push(lines.slice(0, weightSeq).join(''))
  assert.equal(before.ok, true)
  const at = v.push([logLine(tampered[weightSeq]!), ...lines.slice(weightSeq + 1)].join(''))
  assert.equal(at.ok, false)
  assert.equal(at.divergence?.seq, weightSeq)
  assert.equal(at.divergence?.reason, 'bad_signature')
  assert.equal(at.head.seq, weightSeq - 1, 'nothing after the bad entry counts')
  assert.deepEqual(v.push(lines.at(-1)!).divergence, at.divergence, 'and it stays stopped')

  // A line that is not JSON.
  const garbled = new LogVerifier(exactEpoch, { ownerHotkey: net.manifest.owner.hotkey }).push(`${lines.slice(0, 3).join('')}{"seq":3,\n`)
  assert.deepEqual([garbled.divergence?.seq, garbled.divergence?.reason], [3, 'malformed'])

  // Another owner's log.
  const other = await devKey('SomeoneElse')
  const foreign = new LogVerifier(exactEpoch, { ownerHotkey: other.address }).push(lines.join(''))
  assert.deepEqual([foreign.divergence?.seq, foreign.divergence?.reason], [0, 'wrong_genesis'])
  assert.equal(foreign.genesis, null)

  assert.throws(() => new LogVerifier(exactEpoch, { ownerHotkey: other.address }).push(lines[0]!.slice(0, -1)), /whole lines/)
})

test('with detail, each epoch carries every uid\'s metagraph values: the same rewards, the chain\'s hotkeys, Yuma\'s consensus, trust, emission and bonds', async () => {
  const net = await ownerLog(40)
  await net.owner.stop()
  const text = net.entries.map(logLine).join('')
  const plain = new LogVerifier(exactEpoch, { ownerHotkey: net.manifest.owner.hotkey }).push(text)
  assert.ok(plain.epochs.every((e) => e.detail === undefined), 'no detail unless asked')
  const u = new LogVerifier(exactEpoch, { ownerHotkey: net.manifest.owner.hotkey, detail: true }).push(text)
  assert.equal(u.ok, true)
  assert.deepEqual(u.subnet, { name: net.manifest.name, netuid: net.manifest.netuid })
  assert.equal(plain.subnet, undefined)
  const replay = new LogReplay(exactEpoch)
  for (const e of net.entries) replay.push(e)
  assert.equal(u.epochs.length, replay.epochs.length)
  for (const [i, e] of u.epochs.entries()) {
    const d = e.detail!
    const out = replay.epochs[i]!.output
    const n = replay.epochs[i]!.input.n
    for (const field of ['hotkey', 'stake', 'consensus', 'incentive', 'dividends', 'validator_trust', 'emission', 'validator_permit', 'last_update', 'active', 'bonds'] as const) {
      assert.equal(d[field].length, n, `${field} has a value per uid`)
    }
    assert.deepEqual(d.incentive, e.incentive)
    assert.deepEqual(d.dividends, e.dividends)
    assert.deepEqual(d.consensus, out.u16.consensus)
    assert.deepEqual(d.validator_trust, out.u16.validator_trust)
    assert.deepEqual(d.emission, out.combined_emission)
    assert.deepEqual(d.active, out.active)
    assert.deepEqual(d.bonds, out.bonds_u16)
    assert.deepEqual(d.last_update, replay.epochs[i]!.input.last_update)
  }
  const last = u.epochs.at(-1)!.detail!
  const neurons = net.owner.chain.metagraph().neurons
  assert.deepEqual(last.hotkey, neurons.map((x) => x.hotkey))
  assert.ok(last.emission.some((x) => BigInt(x) > 0n), 'the epoch emitted')
  assert.ok(last.bonds.some((row) => row.length > 0), 'validators hold bonds')
  assert.ok(last.validator_trust.some((x) => x > 0))
})
