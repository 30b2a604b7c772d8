/** Loading a model in Node: files via `resolveModelDir`, inference on onnxruntime-node (CPU). */
import { AutoModel, AutoModelForCausalLM, AutoTokenizer } from '@huggingface/transformers'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { WebtensorError } from '../../errors.ts'
import { DeviceUnavailableError, ModelLoadError } from '../errors.ts'
import { modelFileList } from '../model-files.ts'
import { createRunner, type ModelLike, type TokenizerLike } from '../runner-core.ts'
import { ProgressTracker } from '../progress.ts'
import type { LoadOptions, ModelRunner } from '../types.ts'
import { resolveModelDir } from './model-source.ts'

/** Node-only load options. */
export interface NodeLoadOptions extends LoadOptions {
  /** Cache folder (default `$WEBTENSOR_MODEL_CACHE` or `~/.cache/webtensor/models`). */
  cacheDir?: string
}

/** Loads `options.modelId` for in-process inference in Node (device `cpu`). */
export async function loadModelNode(options: NodeLoadOptions): Promise<ModelRunner> {
  if (options.device === 'webgpu' || options.device === 'wasm') {
    throw new DeviceUnavailableError(`device ${options.device} is for browsers; in Node the runner uses onnxruntime-node (cpu)`)
  }
  const progress = new ProgressTracker(options.onProgress, options.integrity)
  const resolved = await resolveModelDir(options, (file, loaded, total, status) => progress.file(file, loaded, total, status))
  try {
    if (!options.integrity) {
      // Unpinned local/cached files were not read yet: report their sizes as they are loaded.
      for (const file of modelFileList(undefined, options.dtype)) {
        const size = (await stat(join(resolved.dir, ...file.split('/'))).catch(() => null))?.size ?? 0
        progress.file(file, size, size, 'load')
      }
    }
    const config = JSON.parse(await readFile(join(resolved.dir, 'config.json'), 'utf8')) as { model_type?: string }
    const kind = config.model_type === 'bert' ? 'encoder' : 'causal-lm'
    // An absolute folder path (not a hub id) makes transformers.js read exactly these files.
    const pretrained = {
      device: 'cpu' as const,
      dtype: options.dtype ?? 'fp32',
      // onnxruntime-node's default is one intra-op thread per core.
      ...(typeof options.numThreads === 'number' ? { session_options: { intraOpNumThreads: options.numThreads } } : {}),
    }
    const tokenizer = await AutoTokenizer.from_pretrained(resolved.dir)
    const model = kind === 'encoder' ? await AutoModel.from_pretrained(resolved.dir, pretrained) : await AutoModelForCausalLM.from_pretrained(resolved.dir, pretrained)
    progress.ready()
    const runner = createRunner({
      modelId: options.modelId,
      device: 'cpu',
      deviceReason: 'Node: onnxruntime-node on the CPU',
      kind,
      // Structural views of transformers.js' classes (their d.ts types are wider than we use).
      tokenizer: tokenizer as unknown as TokenizerLike,
      model: model as unknown as ModelLike,
    })
    const dispose = runner.dispose
    runner.dispose = async () => {
      await dispose()
      await resolved.cleanup()
    }
    return runner
  } catch (e) {
    await resolved.cleanup()
    if (e instanceof WebtensorError) throw e
    throw new ModelLoadError(`loading ${options.modelId} from ${resolved.dir} failed: ${(e as Error).message}`, { cause: e })
  }
}
