import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createOwnerNode } from '../chain/owner-node.ts'
import { fileLogStore } from '../chain/log-file.ts'
import { digestOf } from '../chain/log.ts'
import { runEpoch, type EpochInput, type EpochOutput } from '../scoring/index.ts'
import { MemoryHub } from '../../test/support/memory-mesh.ts'
import { devKey, testManifest } from '../../test/support/chain-calls.ts'
import { checkForgery, epochForger, forgeOutput } from './simulate-forge.ts'

const exact = (input: unknown): EpochOutput => runEpoch(input as EpochInput, { mode: 'exact' })

test('a forged output moves the top incentive to the owner and changes the digest', () => {
  const out = { u16: { incentive: [0, 100, 65435, 0], dividends: [0, 0, 0, 0] }, incentive: [0, 100 / 65535, 65435 / 65535, 0] } as unknown as EpochOutput
  const forged = forgeOutput(out)
  assert.deepEqual(forged.u16.incentive, [65435, 100, 0, 0])
  assert.deepEqual(out.u16.incentive, [0, 100, 65435, 0], 'the real output is untouched')
  assert.notEqual(digestOf(forged), digestOf(out))
})

test('the owner forges exactly the armed epoch, and verifying its log stops at that entry', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-forge-'))
  const manifest = testManifest()
  const hub = new MemoryHub()
  const ownerKey = await devKey('WebtensorOwner')
  const forger = epochForger()
  const owner = createOwnerNode({ manifest, mesh: hub.join(ownerKey), signer: ownerKey, runEpoch: exact, store: fileLogStore(dir), clock: 'manual', forge: forger.forge })
  await owner.start()
  const tempo = manifest.chain.tempo
  const results: NonNullable<ReturnType<typeof owner.latestEpoch>>[] = []
  const untilEpoch = (): void => {
    const before = owner.epochs.length
    while (owner.epochs.length === before) owner.tick()
    results.push(owner.latestEpoch()!)
  }
  untilEpoch()
  forger.arm()
  untilEpoch()
  forger.arm() // once only: a second arm after the forgery does nothing
  untilEpoch()
  for (let i = 0; i < tempo; i++) owner.tick()
  await owner.stop()
  const [honest, forged, after] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]]
  assert.equal(honest.digest, digestOf(owner.epochs[owner.epochs.length - 3]!.output))
  assert.notEqual(forged.digest, digestOf(owner.epochs[owner.epochs.length - 2]!.output), 'the published digest is not the real one')
  assert.equal(after.digest, digestOf(owner.epochs.at(-1)!.output))
  assert.equal(forger.forged()?.epoch, forged.epoch)
  const peers = [new Map([[forged.epoch, forged.digest]]), new Map([[honest.epoch, honest.digest]])]
  const check = await checkForgery({ logPath: join(dir, 'log.jsonl'), ownerHotkey: manifest.owner.hotkey, runEpoch: 1, forged, digests: peers })
  assert.equal(check.detected, true)
  assert.equal(check.seq, forged.logSeq)
  assert.equal(check.divergence?.seq, forged.logSeq)
  assert.match(check.divergence!.detail, new RegExp(`epoch ${forged.epoch}: the logged result`))
  assert.deepEqual([check.peersWithForged, check.peersHeard], [1, 1])
  // Another owner's key: the verifier refuses entry 0, not the forged entry.
  const other = await checkForgery({ logPath: join(dir, 'log.jsonl'), ownerHotkey: (await devKey('Someone')).address, runEpoch: 1, forged, digests: [] })
  assert.equal(other.detected, false)
  assert.equal(other.divergence?.seq, 0)
})
