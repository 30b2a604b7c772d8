#!/usr/bin/env -S node --import tsx
/**
 * Makes the seeded test models in the Hugging Face layout:
 *   node --import tsx scripts/make-models.ts [--out DIR (default ~/.webtensor/models)] [--distil] [--seed N]
 * Always `webtensor/tiny-gpt2` and `webtensor/tiny-bert` (rewritten only if different); with
 * `--distil` also `webtensor/gpt2-distil-size` (~330 MB, for benchmarks). Prints the manifests.
 */
import { join, resolve } from 'node:path'
import { ensureTestModels, makeTestModel } from '../src/inference/index.ts'
import { DEFAULT_MODELS_DIR } from '../src/cli/paths.ts'

const args = process.argv.slice(2)
const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined)
const out = resolve(value('--out') ?? DEFAULT_MODELS_DIR)
const seed = value('--seed')

const manifests = seed
  ? {
      'webtensor/tiny-gpt2': await makeTestModel('tiny-gpt2', join(out, 'webtensor', 'tiny-gpt2'), { seed: Number(seed) }),
      'webtensor/tiny-bert': await makeTestModel('tiny-bert', join(out, 'webtensor', 'tiny-bert'), { seed: Number(seed) }),
    }
  : await ensureTestModels(out)
if (args.includes('--distil')) {
  const opts = seed ? { seed: Number(seed) } : {}
  Object.assign(manifests, { 'webtensor/gpt2-distil-size': await makeTestModel('gpt2-distil-size', join(out, 'webtensor', 'gpt2-distil-size'), opts) })
}
console.log(JSON.stringify(manifests, null, 2))
