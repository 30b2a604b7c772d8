import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createInlineSolver, expectedTries, randomNonce, type PowProgress } from './pow-solver.ts'
import { meetsDifficulty, sealHash, solveSeal } from './seal.ts'

const job = { blockHash: new Uint8Array(32).fill(3), hotkeyPublicKey: new Uint8Array(32).fill(4), difficulty: 5000n }

test('the inline solver finds the same first nonce as one sequential solveSeal, and counts its tries', async () => {
  const start = 123_456_789n
  const progress: PowProgress[] = []
  const hit = await createInlineSolver({ progressMs: 0 })(job, { startNonce: start, onProgress: (p) => progress.push(p) })
  assert.ok(hit)
  assert.deepEqual(hit, solveSeal(job, start, Number(hit.nonce - start) + 1))
  assert.ok(meetsDifficulty(hit.seal, job.difficulty))
  assert.deepEqual(hit.seal, sealHash(job.blockHash, hit.nonce, job.hotkeyPublicKey))
  const last = progress.at(-1)
  assert.ok(last)
  assert.equal(last.tries, Number(hit.nonce - start) + 1)
  assert.equal(last.expectedTries, 5000)
  assert.ok(progress.every((p, i) => i === 0 || p.tries >= progress[i - 1]!.tries))
})

test('the inline solver wraps the nonce at 2^64 and draws random start nonces', async () => {
  const start = (1n << 64n) - 3n
  const hit = await createInlineSolver()({ ...job, difficulty: 1n }, { startNonce: start })
  assert.equal(hit?.nonce, start)
  const wrapped = await createInlineSolver()({ ...job, difficulty: 50n }, { startNonce: (1n << 64n) - 1n })
  assert.ok(wrapped && meetsDifficulty(wrapped.seal, 50n))
  const a = randomNonce()
  assert.ok(a >= 0n && a < 1n << 64n)
  assert.notEqual(a, randomNonce())
  assert.equal(expectedTries(0n), 1)
  assert.equal(expectedTries(1_000_000n), 1_000_000)
})

test('the inline solver keeps the event loop turning and resolves null on abort', async () => {
  const controller = new AbortController()
  let ticks = 0
  const timer = setInterval(() => { if (++ticks === 5) controller.abort() }, 5)
  try {
    // 2^200 is out of reach: only the abort can end this solve.
    const result = await createInlineSolver()({ ...job, difficulty: 1n << 200n }, { signal: controller.signal })
    assert.equal(result, null)
    assert.equal(ticks, 5)
  } finally {
    clearInterval(timer)
  }
  assert.equal(await createInlineSolver()(job, { signal: AbortSignal.abort() }), null)
})
