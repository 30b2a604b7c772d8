import { test } from 'node:test'
import assert from 'node:assert/strict'
import { devKey, signedCall } from '../../test/support/chain-calls.ts'
import { exactEpoch, ownerLog } from '../../test/support/owner-log.ts'
import { logLine } from '../chain/log.ts'
import { LogVerifier } from '../chain/log-verifier.ts'
import type { EpochResult } from '../chain/index.ts'
import { LOG_GRACE_BLOCKS, MeshWatch, verdictFor, VerifiedLog } from './log-check.ts'

test('weights seen on the mesh are found in the log; one the owner dropped is named once it is due', async () => {
  const net = await ownerLog(8)
  // A page on the mesh: every weights message it receives, with the block it was seen at.
  const watch = new MeshWatch()
  const page = net.hub.join(await devKey('PageWatcher'))
  let seen = 0
  page.subscribe('weights', (msg, signed) => {
    seen++
    watch.see('weights', msg.hotkey, signed.body, net.owner.chain.block, net.owner.session)
  })
  await net.drive(8, 30)
  assert.ok(seen >= 4)
  // A signed weights message the page received but the owner never logged.
  const dropped = signedCall(net.validatorKey, net.manifest.netuid, 'weights', { epoch: 2, uids: [1], weights: [7], versionKey: '0' })
  watch.see('weights', net.validatorKey.address, dropped.signed.body, net.owner.chain.block, net.owner.session)
  // The same from a hotkey without a uid (the owner does not log those), and from before a restart.
  const stranger = await devKey('Unregistered')
  const unowed = signedCall(stranger, net.manifest.netuid, 'weights', { epoch: 2, uids: [1], weights: [7], versionKey: '0' })
  watch.see('weights', stranger.address, unowed.signed.body, net.owner.chain.block, net.owner.session)
  const old = signedCall(net.validatorKey, net.manifest.netuid, 'weights', { epoch: 2, uids: [1], weights: [8], versionKey: '0' })
  watch.see('weights', net.validatorKey.address, old.signed.body, net.owner.chain.block, 'an-earlier-session')

  const log = new VerifiedLog()
  const verifier = new LogVerifier(exactEpoch, { ownerHotkey: net.manifest.owner.hotkey })
  log.apply(verifier.push(net.entries.map(logLine).join('')))
  let check = watch.settle(log, net.owner.session)
  assert.equal(check.confirmed, seen, 'every weights message seen is in the log')
  assert.deepEqual([check.pending, check.missing.length], [3, 0], 'the rest is not due yet')

  const pushed = net.entries.length
  await net.drive(30, 30 + LOG_GRACE_BLOCKS)
  log.apply(verifier.push(net.entries.slice(pushed).map(logLine).join('')))
  check = watch.settle(log, net.owner.session)
  assert.deepEqual([check.pending, check.excused, check.missing.length], [0, 2, 1])
  assert.equal(check.missing[0]!.hotkey, net.validatorKey.address)
  await net.owner.stop()
})

test('an epoch verdict says what was checked, or the first thing that did not hold', async () => {
  const net = await ownerLog(34)
  await net.owner.stop()
  const latest = net.owner.latestEpoch()!
  const log = new VerifiedLog()
  log.apply(new LogVerifier(exactEpoch, { ownerHotkey: net.manifest.owner.hotkey }).push(net.entries.map(logLine).join('')))
  const clean = { confirmed: 3, pending: 1, excused: 0, missing: [] }
  const ok = verdictFor(latest, log, clean)
  assert.equal(ok.ok, true, ok.detail)
  const weights = net.entries.filter((e) => e.body.type === 'call' && e.body.kind === 'weights').length
  assert.equal(
    ok.detail,
    `re-derived from the signed log: ${net.entries.length} entries (owner signature and hash chain), ${weights} signed weight messages, 2 registrations with their proof of work, ` +
      `Yuma run here: result ${latest.digest.slice(0, 8)}… = the owner's signed digest; 3 weight messages seen on the mesh are all in the log (1 more too recent to check)`,
  )
  const bad = (patch: Partial<EpochResult>): string => {
    const v = verdictFor({ ...latest, ...patch }, log, clean)
    assert.equal(v.ok, false)
    return v.detail
  }
  assert.match(bad({ digest: 'f'.repeat(64) }), /gossiped result ffffffff… is not the one Yuma gives on the log/)
  assert.match(bad({ inputDigest: 'e'.repeat(64) }), /input digest/)
  assert.match(bad({ chain: { genesis: `0x${'ab'.repeat(32)}`, session: 'x' } }), /the gossip is from chain abababab…, the log is chain/)
  assert.match(bad({ logSeq: 10_000 }), /has no entry 10000/)
  assert.match(bad({ logSeq: latest.logSeq - 1 }), /is not an epoch/)
  assert.match(bad({ epoch: latest.epoch + 1 }), /is epoch \d+, not/)
  assert.match(bad({ incentive: latest.incentive.map((x) => x + 1) }), /incentive or dividends differ/)
  const dropped = verdictFor(latest, log, { ...clean, missing: [{ hash: '0x', kind: 'weights', hotkey: '5Val', block: 9, session: 's' }] })
  assert.match(dropped.detail, /^the owner dropped a signed weights message from 5Val seen on the mesh at block 9$/)
  log.divergence = { seq: 57, reason: 'bad_signature', detail: 'entry 57 is not signed by the owner' }
  assert.equal(verdictFor(latest, log, clean).detail, 'the log does not verify at entry 57 (bad_signature): entry 57 is not signed by the owner')
})
