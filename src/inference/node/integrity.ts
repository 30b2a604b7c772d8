/** Integrity of model folders on disk (Node): streaming sha256, so large files never sit in memory twice. */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { ModelIntegrityError } from '../errors.ts'
import { modelFileList } from '../model-files.ts'
import type { ModelIntegrity } from '../types.ts'

/** sha256 (hex) and size of one file; `onBytes` sees the running byte count. */
export async function hashFile(path: string, onBytes?: (loaded: number) => void): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer
    hash.update(buf)
    size += buf.length
    onBytes?.(size)
  }
  return { size, sha256: hash.digest('hex') }
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    // Hidden names are ours (download temporaries, stamps), never model files.
    if (!entry.isFile() || entry.name.startsWith('.')) continue
    const rel = relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/')
    if (!rel.split('/').some((part) => part.startsWith('.'))) out.push(rel)
  }
  return out.sort()
}

/**
 * The manifest of a model folder: every file (recursively, hidden names skipped) with size and
 * sha256. Example: `await computeIntegrity('models/webtensor/tiny-gpt2')`.
 */
export async function computeIntegrity(dir: string): Promise<ModelIntegrity> {
  const files: ModelIntegrity['files'] = {}
  for (const rel of await listFiles(dir)) files[rel] = await hashFile(join(dir, rel))
  return { files }
}

/**
 * Checks that `dir` holds every file of `integrity` with the pinned size and hash; throws
 * `ModelIntegrityError` naming the first bad file. Size is checked first, so a truncated file
 * costs no hashing.
 */
export async function verifyDir(dir: string, integrity: ModelIntegrity, onFile?: (file: string, loaded: number, total: number) => void): Promise<void> {
  for (const file of modelFileList(integrity)) {
    const expected = integrity.files[file]
    const path = join(dir, ...file.split('/'))
    const info = await stat(path).catch(() => null)
    if (!info?.isFile()) throw new ModelIntegrityError(file, `missing from ${dir}`)
    if (info.size !== expected.size) throw new ModelIntegrityError(file, `size ${info.size} bytes, manifest says ${expected.size}`)
    const actual = await hashFile(path, (loaded) => onFile?.(file, loaded, expected.size))
    if (actual.sha256 !== expected.sha256.toLowerCase()) throw new ModelIntegrityError(file, `sha256 ${actual.sha256}, manifest says ${expected.sha256}`)
  }
}
