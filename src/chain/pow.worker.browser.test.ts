import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { openScriptPage } from '../../test/support/script-page.ts'
import { meetsDifficulty, sealHash } from './seal.ts'

const CLIENT = fileURLToPath(new URL('./pow-worker.ts', import.meta.url))

interface Progress { tries: number; hashesPerSecond: number; expectedTries: number }
interface SolveResult { nonce: string | null; seal: number[] | null; progress: Progress[] }
interface AbortResult { result: unknown; atAbort: number; later: number; rate: number; afterwards: SolveResult }
interface PowPage {
  powSolve(block: number[], key: number[], difficulty: string): Promise<SolveResult>
  powAbort(block: number[], key: number[]): Promise<AbortResult>
}

/** A page whose `window.powSolve` / `window.powAbort` drive the PoW worker solver. */
const PAGE = `
import { createWorkerSolver } from ${JSON.stringify(CLIENT)}
const solver = createWorkerSolver()
const job = (block: number[], key: number[], difficulty: string) =>
  ({ blockHash: new Uint8Array(block), hotkeyPublicKey: new Uint8Array(key), difficulty: BigInt(difficulty) })
async function powSolve(block: number[], key: number[], difficulty: string) {
  const progress: unknown[] = []
  const r = await solver(job(block, key, difficulty), { onProgress: (p) => progress.push(p) })
  return { nonce: r ? r.nonce.toString() : null, seal: r ? Array.from(r.seal) : null, progress }
}
;(window as any).powSolve = powSolve
;(window as any).powAbort = async (block: number[], key: number[]) => {
  let count = 0
  let rate = 0
  const controller = new AbortController()
  const pending = solver(job(block, key, (1n << 200n).toString()), { signal: controller.signal, onProgress: (p) => { count++; rate = p.hashesPerSecond } })
  while (count < 4) await new Promise((r) => setTimeout(r, 20))
  controller.abort()
  const result = await pending
  const atAbort = count
  await new Promise((r) => setTimeout(r, 800))
  return { result, atAbort, later: count, rate, afterwards: await powSolve(block, key, '20000') }
}
`

test('the PoW worker (comlink, Chromium) finds a seal subtensor accepts, reports progress, and stops on abort', { timeout: 180_000 }, async () => {
  const { page, errors, close } = await openScriptPage('pow-worker', PAGE, 'powAbort')
  try {
    const block = Array.from({ length: 32 }, (_, i) => (i * 7 + 1) & 0xff)
    const key = Array.from({ length: 32 }, (_, i) => (255 - i * 3) & 0xff)
    const check = (r: SolveResult, difficulty: bigint): void => {
      assert.ok(r.nonce !== null && r.seal !== null)
      const seal = Uint8Array.from(r.seal)
      assert.ok(meetsDifficulty(seal, difficulty))
      assert.deepEqual(seal, sealHash(Uint8Array.from(block), BigInt(r.nonce), Uint8Array.from(key)))
      // The final report arrives before the result and counts every try.
      assert.ok(r.progress.length >= 1)
      const last = r.progress.at(-1)!
      assert.equal(last.expectedTries, Number(difficulty))
      assert.ok(last.tries >= 1 && last.hashesPerSecond > 0)
    }

    const solved = await page.evaluate(([b, k]) => (window as unknown as PowPage).powSolve(b, k, '20000'), [block, key])
    check(solved, 20_000n)

    const aborted = await page.evaluate(([b, k]) => (window as unknown as PowPage).powAbort(b, k), [block, key])
    assert.equal(aborted.result, null)
    assert.ok(aborted.atAbort >= 4)
    assert.equal(aborted.later, aborted.atAbort, 'no progress after the abort: the worker is gone')
    check(aborted.afterwards, 20_000n) // a fresh worker serves the next solve
    console.log(`# Chromium worker: ${Math.round(aborted.rate)} hashes/s over the aborted solve's first second`)
    assert.deepEqual(errors, [])
  } finally {
    await close()
  }
})
