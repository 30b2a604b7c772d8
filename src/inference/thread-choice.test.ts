import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseThreadChoice, pickThreads, singleThreadReason, threadCandidates, threadChoiceKey, THREAD_MARGIN } from './thread-choice.ts'

test('candidates: 1 and 2 threads only when cross-origin isolated with at least two cores', () => {
  assert.deepEqual(threadCandidates(true, 2), [1, 2])
  assert.deepEqual(threadCandidates(true, 16), [1, 2])
  assert.deepEqual(threadCandidates(false, 16), [1])
  assert.deepEqual(threadCandidates(true, 1), [1])
  assert.match(singleThreadReason(false, 8)!, /not cross-origin isolated/)
  assert.match(singleThreadReason(true, 1)!, /1 core/)
  assert.equal(singleThreadReason(true, 2), null)
})

test('pick: two threads only when faster than one by the margin, and the reason gives both timings', () => {
  const clearlyFaster = pickThreads([{ threads: 1, msPerToken: 20 }, { threads: 2, msPerToken: 12 }])
  assert.equal(clearlyFaster.numThreads, 2)
  assert.match(clearlyFaster.reason, /2 threads 12\.0 ms\/token.*1 thread 20\.0 ms\/token/)
  const barely = pickThreads([{ threads: 1, msPerToken: 20 }, { threads: 2, msPerToken: 20 * (1 - THREAD_MARGIN / 2) }])
  assert.equal(barely.numThreads, 1)
  assert.match(barely.reason, /not 10% faster/)
  assert.equal(pickThreads([{ threads: 1, msPerToken: 10 }, { threads: 2, msPerToken: 15 }]).numThreads, 1)
  // Nonsense timings never win; without a valid 1-thread timing the answer is 1 thread.
  assert.equal(pickThreads([{ threads: 1, msPerToken: 10 }, { threads: 2, msPerToken: 0 }]).numThreads, 1)
  assert.equal(pickThreads([{ threads: 2, msPerToken: 5 }]).numThreads, 1)
})

test('stored choice: round-trips, and is refused when malformed or no longer a candidate', () => {
  const choice = pickThreads([{ threads: 1, msPerToken: 20 }, { threads: 2, msPerToken: 12 }])
  assert.deepEqual(parseThreadChoice(JSON.stringify(choice), [1, 2]), choice)
  assert.equal(parseThreadChoice(JSON.stringify(choice), [1]), null, 'no threads here any more (not isolated)')
  for (const raw of [null, '', '{', 'null', '[]', '{"numThreads":"2","reason":"x"}', '{"numThreads":2}', 'x'.repeat(3000)]) {
    assert.equal(parseThreadChoice(raw, [1, 2]), null, String(raw).slice(0, 40))
  }
  assert.notEqual(threadChoiceKey('a/b', 'q8', 2), threadChoiceKey('a/b', 'fp32', 2))
  assert.notEqual(threadChoiceKey('a/b', 'q8', 2), threadChoiceKey('a/b', 'q8', 4))
})
