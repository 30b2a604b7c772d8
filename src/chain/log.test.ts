import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runEpoch, type EpochInput, type EpochOutput } from '../scoring/index.ts'
import { MemoryHub } from '../../test/support/memory-mesh.ts'
import { devKey, registerPayload, testManifest } from '../../test/support/chain-calls.ts'
import { createOwnerNode, memoryLogStore, type LogStore, type OwnerNode } from './owner-node.ts'
import { entryHash, LogReplay, parseLogLines, toHex, type LogEntry } from './log.ts'
import { fileLogStore } from './log-file.ts'
import type { Hotkey } from '../identity/index.ts'

const exact = (input: unknown): EpochOutput => runEpoch(input as EpochInput, { mode: 'exact' })
const manifest = testManifest()
const flush = (): Promise<void> => new Promise((r) => setImmediate(r))

interface Net {
  hub: MemoryHub
  owner: OwnerNode<EpochOutput>
  ownerKey: Hotkey
  validatorKey: Hotkey
  miners: Hotkey[]
  /** Each caller's one mesh (a second mesh of the same hotkey would restart its envelope seq: replays). */
  callers: Map<string, ReturnType<MemoryHub['join']>>
}

async function startNet(store: LogStore, seed = 1): Promise<Net> {
  const hub = new MemoryHub()
  const ownerKey = await devKey('WebtensorOwner')
  const validatorKey = await devKey('WebtensorValidator1')
  const owner = createOwnerNode({ manifest, mesh: hub.join(ownerKey), signer: ownerKey, runEpoch: exact, store, clock: 'manual', randomBytes: (n) => new Uint8Array(n).fill(seed) })
  await owner.start()
  const miners = await Promise.all([devKey('LogMiner0'), devKey('LogMiner1')])
  return { hub, owner, ownerKey, validatorKey, miners, callers: new Map() }
}

/** Drives a subnet: miners register, the validator weights them, epochs run; `blocks` ticks in all. */
async function drive(net: Net, fromBlock: number, toBlock: number): Promise<void> {
  const { hub, owner, validatorKey, miners, callers } = net
  const meshOf = (k: Hotkey): ReturnType<MemoryHub['join']> => {
    let m = callers.get(k.address)
    if (m === undefined) callers.set(k.address, (m = hub.join(k)))
    return m
  }
  const vmesh = meshOf(validatorKey)
  const mmesh = miners.map(meshOf)
  for (let b = fromBlock; b < toBlock; b++) {
    owner.tick()
    const i = b % 7
    if (i < miners.length && owner.chain.uidOf(miners[i]!.address) === undefined) {
      await mmesh[i]!.publish('register', registerPayload(owner.chain, miners[i]!))
    }
    const uids = miners.map((m) => owner.chain.uidOf(m.address)).filter((u): u is number => u !== undefined)
    if (b % 4 === 0 && uids.length > 0) {
      await vmesh.publish('weights', { epoch: owner.chain.epoch, uids, weights: uids.map((u) => 1000 + ((u * b) % 60000)), versionKey: '0' })
    }
    await flush()
  }
}

function replayAll(entries: readonly LogEntry[]): LogReplay<EpochOutput> {
  const replay = new LogReplay<EpochOutput>(exact, { ownerHotkey: manifest.owner.hotkey })
  for (const e of entries) if (!replay.push(e).ok) break
  return replay
}

/** Re-signs entries from `from` on, re-chaining hashes: what an owner forging its own log can do. */
function resign(entries: LogEntry[], owner: Hotkey, from = 1): LogEntry[] {
  const out = entries.slice(0, from)
  for (const e of entries.slice(from)) {
    const prev = out.length === 0 ? e.prev : toHex(entryHash(out.at(-1)!))
    const unsigned = { seq: out.length, prev, block: e.block, body: e.body }
    out.push({ ...unsigned, sig: toHex(owner.sign(entryHash(unsigned))) })
  }
  return out
}

test('the owner logs registrations, weights and epochs; a replay of the log re-derives every epoch', async () => {
  const store = memoryLogStore()
  const net = await startNet(store)
  await drive(net, 0, 30)
  // Stake moves only through owner-signed entries (and emission).
  net.owner.addStake(net.miners[0]!.address, 5_000_000_000n)
  await drive(net, 30, 45)
  assert.equal(store.entries.filter((e) => e.body.type === 'stake').length, 1)
  const replay = replayAll(store.entries)
  assert.equal(replay.divergence, null)
  assert.equal(replay.counts.registrations, 2)
  assert.ok(replay.counts.epochs >= 3)
  assert.deepEqual(
    replay.epochs.map((e) => e.digest),
    net.owner.epochs.map((e) => replay.epochs.find((r) => r.epoch === e.epoch)!.digest),
  )
  // The replay stops at the last entry's block; the owner may have ticked past it since.
  replay.chain!.advanceTo(net.owner.chain.block, new Uint8Array(32))
  assert.equal(JSON.stringify(replay.chain!.metagraph()), JSON.stringify(net.owner.chain.metagraph()))
  assert.equal(replay.head.hash, store.entries.length > 0 ? toHex(entryHash(store.entries.at(-1)!)) : '')
  // Weights are in the log exactly as the validator signed them.
  const calls = store.entries.filter((e) => e.body.type === 'call' && e.body.kind === 'weights')
  assert.ok(calls.length >= 5)
  await net.owner.stop()
})

test('tampering is caught at the entry where it happened', async () => {
  const store = memoryLogStore()
  const net = await startNet(store)
  await drive(net, 0, 45)
  const entries = store.entries
  const at = (pred: (e: LogEntry) => boolean): number => entries.findIndex(pred)
  const weightSeq = at((e) => e.body.type === 'call' && e.body.kind === 'weights' && e.body.result.ok)
  const registerSeq = at((e) => e.body.type === 'call' && e.body.kind === 'register')
  const epochSeq = at((e) => e.body.type === 'epoch')
  const expectAt = (log: LogEntry[], seq: number, reasons: string[]): void => {
    const d = replayAll(log).divergence
    assert.ok(d !== null, 'tampering went unnoticed')
    assert.equal(d.seq, seq, `${d.reason}: ${d.detail}`)
    assert.ok(reasons.includes(d.reason), `${d.reason}: ${d.detail}`)
  }

  // Change one weight: the entry no longer carries the owner's signature…
  const changed = structuredClone(entries)
  const body = changed[weightSeq]!.body as { call: { body: string } }
  body.call.body = `${body.call.body.slice(0, -4)}${body.call.body.slice(-4) === 'ffff' ? '0000' : 'ffff'}`
  expectAt(changed, weightSeq, ['bad_signature', 'bad_call'])
  // …and re-signed by a forging owner, the validator's own signature still does not match.
  expectAt(resign(changed, net.ownerKey, weightSeq), weightSeq, ['bad_signature', 'bad_call'])

  // Drop a registration: the chain breaks; re-chained, the uids that follow no longer add up.
  const dropped = entries.filter((_, i) => i !== registerSeq)
  // (the entry after the gap is named: entry registerSeq + 1 where registerSeq was due)
  expectAt(dropped, registerSeq + 1, ['broken_chain'])
  const d = replayAll(resign(dropped, net.ownerKey, registerSeq)).divergence
  assert.ok(d !== null && d.seq >= registerSeq && ['wrong_result', 'wrong_epoch', 'bad_call'].includes(d.reason), JSON.stringify(d))

  // Add an unsigned weight message.
  const forged = structuredClone(entries[weightSeq]!)
  ;(forged.body as { call: { sig: string } }).call.sig = `0x${'11'.repeat(64)}`
  const inserted = resign([...entries.slice(0, weightSeq + 1), forged, ...entries.slice(weightSeq + 1)], net.ownerKey, weightSeq + 1)
  expectAt(inserted, weightSeq + 1, ['bad_signature'])

  // Reorder two entries.
  const swapped = [...entries]
  ;[swapped[weightSeq], swapped[weightSeq + 1]] = [swapped[weightSeq + 1]!, swapped[weightSeq]!]
  expectAt(swapped, weightSeq + 1, ['broken_chain'])

  // An owner that invents an epoch result, or a different input (stake, bonds), and re-signs.
  const result = structuredClone(entries)
  ;(result[epochSeq]!.body as { digest: string }).digest = 'f'.repeat(64)
  expectAt(resign(result, net.ownerKey, epochSeq), epochSeq, ['wrong_epoch'])
  const input = structuredClone(entries)
  ;(input[epochSeq]!.body as { inputDigest: string }).inputDigest = 'e'.repeat(64)
  expectAt(resign(input, net.ownerKey, epochSeq), epochSeq, ['wrong_epoch'])
  // Dropping an epoch entry leaves the next entry after its block.
  expectAt(resign(entries.filter((_, i) => i !== epochSeq), net.ownerKey, epochSeq), epochSeq, ['missing_epoch', 'wrong_epoch'])
  await net.owner.stop()
})

test('a crashed owner resumes from its log file: the epochs that follow match an uninterrupted run fed the same calls', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-log-'))
  // Uninterrupted: 60 blocks.
  const whole = memoryLogStore()
  const a = await startNet(whole, 5)
  await drive(a, 0, 60)
  await a.owner.stop()

  // Crashed mid-tempo at block 25 (no stop, a torn line at the end of the file), then restarted.
  const first = fileLogStore(dir)
  const b = await startNet(first, 5)
  await drive(b, 0, 25)
  // Every entry was flushed as it was appended; stopping only detaches the old owner from the hub.
  await b.owner.stop()
  appendFileSync(join(dir, 'log.jsonl'), '{"seq":999,"prev":"0x')
  const restarted = createOwnerNode({ manifest, mesh: b.hub.join(b.ownerKey), signer: b.ownerKey, runEpoch: exact, store: fileLogStore(dir), clock: 'manual' })
  assert.equal(restarted.chain.block, 25, 'resumes at the block it had reached')
  assert.equal(restarted.genesis, b.owner.genesis)
  assert.notEqual(restarted.session, b.owner.session)
  assert.equal(JSON.stringify(restarted.chain.metagraph()), JSON.stringify(b.owner.chain.metagraph()))
  await restarted.start()
  await drive({ ...b, owner: restarted }, 25, 60)
  await restarted.stop()

  const fromFile = parseLogLines(readFileSync(join(dir, 'log.jsonl'), 'utf8'))
  assert.equal(replayAll(fromFile).divergence, null)
  const digests = (entries: readonly LogEntry[]): string[] => entries.flatMap((e) => (e.body.type === 'epoch' ? [`${e.body.epoch}:${e.body.inputDigest}:${e.body.digest}`] : []))
  assert.ok(digests(whole.entries).length >= 4)
  assert.deepEqual(digests(fromFile), digests(whole.entries))
})

test('an owner refuses to start on a log that does not verify', async () => {
  const store = memoryLogStore()
  const net = await startNet(store)
  await drive(net, 0, 12)
  await net.owner.stop()
  ;(store.entries[3]!.body as { type: string }).type = 'epoch'
  assert.throws(() => createOwnerNode({ manifest, mesh: net.hub.join(net.ownerKey), signer: net.ownerKey, runEpoch: exact, store, clock: 'manual' }), /does not verify at entry 3/)
})
