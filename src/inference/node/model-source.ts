/**
 * Where a model's files come from in Node: a local folder, else the cache folder, else a remote
 * host (Hugging Face or a mirror) into the cache folder. Every source is checked against the
 * manifest when one is given.
 */
import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { ModelIntegrityError, ModelLoadError } from '../errors.ts'
import { isValidModelId, modelFileList, OPTIONAL_MODEL_FILES, remoteFileUrl } from '../model-files.ts'
import type { LoadOptions } from '../types.ts'
import { hashFile, verifyDir } from './integrity.ts'

/** Default Node cache folder: `$WEBTENSOR_MODEL_CACHE`, else `~/.cache/webtensor/models`. */
export function defaultCacheDir(): string {
  return process.env.WEBTENSOR_MODEL_CACHE ?? join(homedir(), '.cache', 'webtensor', 'models')
}

export interface ResolvedModelDir {
  dir: string
  source: 'local' | 'cache' | 'remote'
  /** Removes temporary files (only for uncached remote loads). */
  cleanup(): Promise<void>
}

type FileProgress = (file: string, loaded: number, total: number, status: 'download' | 'load') => void

const exists = (path: string) => stat(path).then((s) => s.isFile(), () => false)

/** Finds or fetches the model folder for `options`; see the module comment for the order. */
export async function resolveModelDir(options: LoadOptions & { cacheDir?: string }, onFile: FileProgress): Promise<ResolvedModelDir> {
  const { modelId, integrity } = options
  if (!isValidModelId(modelId)) throw new ModelLoadError(`invalid model id ${JSON.stringify(modelId)}`, { code: 'bad_model_id' })
  const noop = async () => {}
  const verify = (dir: string) => (integrity ? verifyDir(dir, integrity, (f, l, t) => onFile(f, l, t, 'load')) : Promise.resolve())

  if (options.localModelPath) {
    const dir = resolve(options.localModelPath, ...modelId.split('/'))
    if (await exists(join(dir, 'config.json'))) {
      await verify(dir)
      return { dir, source: 'local', cleanup: noop }
    }
  }

  const useCache = options.cache ?? true
  const cacheRoot = options.cacheDir ?? defaultCacheDir()
  const cached = join(cacheRoot, ...modelId.split('/'))
  // A cached copy counts only if complete: pinned models are verified, unpinned ones need the stamp
  // written after a finished download.
  if (useCache && (await exists(join(cached, 'config.json')))) {
    if (integrity) {
      try {
        await verify(cached)
        return { dir: cached, source: 'cache', cleanup: noop }
      } catch (e) {
        if (!(e instanceof ModelIntegrityError)) throw e
        // A stale or damaged cache entry is replaced by a fresh download below.
      }
    } else if (await exists(join(cached, '.complete'))) {
      return { dir: cached, source: 'cache', cleanup: noop }
    }
  }

  const allowRemote = options.allowRemote ?? options.remoteHost !== undefined
  if (!allowRemote || !options.remoteHost) {
    throw new ModelLoadError(
      `model ${modelId} not found` +
        (options.localModelPath ? ` under ${options.localModelPath}` : '') +
        (useCache ? ` nor in the cache ${cacheRoot}` : '') +
        ' and remote loading is off (set remoteHost and allowRemote)',
      { code: 'model_not_found' },
    )
  }
  const dir = useCache ? cached : await mkdtemp(join(tmpdir(), 'webtensor-model-'))
  await rm(join(dir, '.complete'), { force: true })
  for (const file of modelFileList(integrity, options.dtype)) {
    await downloadFile(remoteFileUrl(options.remoteHost, modelId, file), dir, file, integrity?.files[file], true, onFile)
  }
  if (!integrity) {
    for (const file of OPTIONAL_MODEL_FILES) {
      await downloadFile(remoteFileUrl(options.remoteHost, modelId, file), dir, file, undefined, false, onFile)
    }
  }
  if (useCache) await writeFile(join(dir, '.complete'), new Date().toISOString())
  return { dir, source: 'remote', cleanup: useCache ? noop : () => rm(dir, { recursive: true, force: true }) }
}

/** Streams one file into `dir/file` through a temporary name, checking size and hash before the rename. */
async function downloadFile(
  url: string,
  dir: string,
  file: string,
  expected: { size: number; sha256: string } | undefined,
  required: boolean,
  onFile: FileProgress,
): Promise<void> {
  let response: Response
  try {
    response = await fetch(url)
  } catch (e) {
    throw new ModelLoadError(`fetching ${url} failed: ${(e as Error).message}`, { cause: e, code: 'download_failed' })
  }
  if (response.status === 404 && !required) return
  if (!response.ok || !response.body) throw new ModelLoadError(`fetching ${url}: HTTP ${response.status}`, { code: 'download_failed' })
  const total = expected?.size ?? Number(response.headers.get('content-length') ?? 0)
  const target = join(dir, ...file.split('/'))
  const temp = join(dirname(target), `.${randomUUID()}.part`)
  await mkdir(dirname(target), { recursive: true })
  const out = createWriteStream(temp)
  let loaded = 0
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      loaded += chunk.byteLength
      if (expected && loaded > expected.size) throw new ModelIntegrityError(file, `larger than the ${expected.size} bytes the manifest says`)
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()))
      onFile(file, loaded, total, 'download')
    }
    await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())))
    if (expected) {
      const got = await hashFile(temp)
      if (got.size !== expected.size) throw new ModelIntegrityError(file, `size ${got.size} bytes, manifest says ${expected.size}`)
      if (got.sha256 !== expected.sha256.toLowerCase()) throw new ModelIntegrityError(file, `sha256 ${got.sha256}, manifest says ${expected.sha256}`)
    }
    await rename(temp, target)
  } catch (e) {
    out.destroy()
    await rm(temp, { force: true })
    throw e
  }
}
