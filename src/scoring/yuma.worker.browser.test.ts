import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { openScriptPage } from '../../test/support/script-page.ts'
import { epochDigest, runEpoch, type EpochInput, type EpochOutput } from './index.ts'
import { syntheticEpochInput } from './yuma/synthetic.ts'

const CLIENT = fileURLToPath(new URL('./yuma-worker.ts', import.meta.url))

/** A page whose `window.yumaInWorker(input)` runs an exact epoch in the Yuma worker. */
const PAGE = `
import { createYumaWorker } from ${JSON.stringify(CLIENT)}
;(window as any).yumaInWorker = async (input: unknown) => {
  const yuma = createYumaWorker()
  try {
    const output = await yuma.runEpoch(input as never, { mode: 'exact' })
    return { output, digest: await yuma.epochDigest(output) }
  } finally {
    yuma.terminate()
  }
}
`

test('the Yuma worker (comlink, Chromium) gives exactly Node\'s exact-mode output', { timeout: 180_000 }, async () => {
  const { page, errors, close } = await openScriptPage('yuma-worker', PAGE, 'yumaInWorker')
  try {
    const inputs: EpochInput[] = [
      syntheticEpochInput({ n: 64, validators: 16, weightsPerRow: 20, seed: 7, withBonds: true }),
      syntheticEpochInput({ n: 48, validators: 12, weightsPerRow: 48, seed: 8, withBonds: true, ownerUid: 3, hyperparams: { yuma3: true, liquid_alpha: true, bonds_penalty: 30000 } }),
      syntheticEpochInput({ n: 32, validators: 8, weightsPerRow: 10, seed: 9, hyperparams: { yuma3: true, alpha_sigmoid_steepness: 32767, liquid_alpha: true } }),
    ]
    for (const input of inputs) {
      const fromWorker = await page.evaluate((i) => (window as unknown as { yumaInWorker(i: unknown): Promise<{ output: EpochOutput; digest: string }> }).yumaInWorker(i), input)
      const inNode = runEpoch(input)
      assert.deepEqual(fromWorker.output, inNode)
      assert.equal(fromWorker.digest, epochDigest(inNode))
    }
    assert.deepEqual(errors, [])
  } finally {
    await close()
  }
})
