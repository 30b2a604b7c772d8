/** The bench's models: the shared tiny ones, and the distilgpt2-sized GPT-2 made on first use (~330 MB per dtype file). */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { computeIntegrity, ensureTestModels, makeTestModel, type ModelIntegrity } from '../../src/inference/index.ts'

export const DISTIL_ID = 'webtensor/gpt2-distil-size'

/** Makes the distilgpt2-sized model under `modelsDir` when it is missing; returns its manifest. */
export async function ensureDistilModel(modelsDir: string, log: (line: string) => void): Promise<ModelIntegrity> {
  const dir = join(modelsDir, ...DISTIL_ID.split('/'))
  if (!(await stat(join(dir, 'onnx', 'model.onnx')).catch(() => null))) {
    const t = performance.now()
    await makeTestModel('gpt2-distil-size', dir)
    log(`made ${dir} in ${Math.round((performance.now() - t) / 100) / 10} s`)
  }
  return computeIntegrity(dir)
}

/** The manifests of `ids` (tiny models checked and rewritten if changed, the distil one made if missing). */
export async function ensureBenchModels(modelsDir: string, ids: readonly string[], log: (line: string) => void): Promise<Record<string, ModelIntegrity>> {
  const tiny = await ensureTestModels(modelsDir)
  const out: Record<string, ModelIntegrity> = {}
  for (const id of ids) {
    if (id === DISTIL_ID) out[id] = await ensureDistilModel(modelsDir, log)
    else if (tiny[id]) out[id] = tiny[id]
    else throw new Error(`unknown bench model ${id}: one of ${[...Object.keys(tiny), DISTIL_ID].join(', ')}`)
  }
  return out
}
