import assert from 'node:assert/strict'
import { test } from 'node:test'
import { blocksUntilNextEpoch, epochIndex } from '../local-chain.ts'
import { epochBlocksBetween, isEpochBlock, revealState, revealWindow } from './rules.ts'

test('epoch blocks are the ones blocks_until_next_epoch counts down to', () => {
  for (const [netuid, tempo] of [[2, 10], [1, 360], [7, 3]] as const) {
    const found = epochBlocksBetween(netuid, tempo, 0, 1000)
    const expected = Array.from({ length: 1000 }, (_, i) => i + 1).filter((b) => blocksUntilNextEpoch(netuid, tempo, b) === 0)
    assert.deepEqual(found, expected)
    for (const b of found) assert.ok(isEpochBlock(netuid, tempo, b))
  }
  assert.deepEqual(epochBlocksBetween(2, 0, 0, 100), [])
})

test('the reveal window is exactly the epoch RevealPeriodEpochs after the commit', () => {
  for (const [netuid, tempo, period] of [[2, 10, 1], [1, 360, 1], [3, 5, 2], [4, 7, 0]] as const) {
    for (let commit = 0; commit < 60; commit++) {
      const w = revealWindow(netuid, tempo, period, commit)
      for (let b = Math.max(0, commit - 2); b < commit + 4 * (tempo + 1); b++) {
        const inWindow = epochIndex(netuid, tempo, b) === epochIndex(netuid, tempo, commit) + period
        assert.equal(revealState(w, b) === 'reveal', inWindow, `netuid ${netuid} tempo ${tempo} commit ${commit} block ${b}`)
      }
    }
  }
})
