/**
 * The browser's model file cache in the Origin Private File System (OPFS):
 *
 *   webtensor-models-v1/<owner>/<name>/<revision>/files/<path>          verified files
 *                                                 /records/<path>.json   size, sha256, lastModified at verification
 *                                                 /partial/<path>.part   downloads in progress
 *
 * In a dedicated worker parts are written through a sync access handle (bytes reach the file as
 * they are written, so an interrupted download keeps what arrived); in a page through a writable
 * stream committed when the download stops. Every storage failure (quota, a lock held by another
 * tab, a name OPFS refuses) degrades to "not cached": the load goes on from the network.
 */
import { cacheEntry, makeCacheRecord, modelFolder, parseCacheRecord, recordVouches, type CacheRecord, type CacheTree } from '../cache-record.ts'
import { sha256Hex } from '../integrity.ts'

export const OPFS_ROOT = 'webtensor-models-v1'

/** Appends to a `.part` file. */
export interface PartWriter {
  write(chunk: Uint8Array): Promise<void>
  /** Makes what was written durable and releases the file (also after an abort). */
  close(): Promise<void>
}

/** What a cache read found: verified bytes, and whether they had to be hashed for it. */
export interface CachedFile {
  bytes: Uint8Array
  sha256: string
  /** False when the record vouched for the file (no hashing); true when it was hashed again. */
  hashed: boolean
}

interface MovableHandle {
  move(parent: FileSystemDirectoryHandle, name: string): Promise<void>
}

const isNotFound = (e: unknown) => e instanceof DOMException && (e.name === 'NotFoundError' || e.name === 'TypeMismatchError')

async function opfsRoot(): Promise<FileSystemDirectoryHandle | null> {
  if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function') return null
  try {
    return await navigator.storage.getDirectory()
  } catch {
    return null // e.g. a context without storage access
  }
}

/** Removes every model file kept in OPFS. */
export async function clearOpfsModels(): Promise<void> {
  const root = await opfsRoot()
  await root?.removeEntry(OPFS_ROOT, { recursive: true }).catch((e: unknown) => {
    if (!isNotFound(e)) throw e
  })
}

/** Reads a whole `File`, reporting the bytes read so far. */
export async function readFileWithProgress(f: Blob, onBytes: (loaded: number) => void): Promise<Uint8Array> {
  const out = new Uint8Array(f.size)
  const reader = f.stream().getReader()
  let at = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (at + value.byteLength > out.byteLength) throw new DOMException('file grew while read', 'NotReadableError')
    out.set(value, at)
    at += value.byteLength
    onBytes(at)
  }
  if (at !== out.byteLength) throw new DOMException('file shrank while read', 'NotReadableError')
  return out
}

interface SyncReader {
  getSize(): number
  read(buffer: Uint8Array, options: { at: number }): number
  close(): void
}

/** Bytes per read and progress report when reading through a sync access handle. */
const SYNC_READ_CHUNK = 16 * 1024 * 1024

/**
 * Reads a whole stored file: in a dedicated worker through a sync access handle straight into one
 * buffer (no stream of small chunks); elsewhere, or when the handle is refused (another tab holds
 * the file), as a stream. `f` is the `File` the caller checked the record against: a file whose size
 * or lastModified differs afterwards was changed meanwhile and the read fails.
 */
async function readStored(h: FileSystemFileHandle, f: File, onBytes: (loaded: number) => void): Promise<Uint8Array> {
  const open = (h as unknown as { createSyncAccessHandle?: () => Promise<SyncReader> }).createSyncAccessHandle
  const sync = typeof open === 'function' ? await open.call(h).catch(() => null) : null
  if (!sync) return readFileWithProgress(f, onBytes)
  let out: Uint8Array
  try {
    const size = sync.getSize()
    if (size !== f.size) throw new DOMException('file changed while read', 'NotReadableError')
    out = new Uint8Array(size)
    for (let at = 0; at < size; ) {
      const n = sync.read(out.subarray(at, Math.min(size, at + SYNC_READ_CHUNK)), { at })
      if (n <= 0) throw new DOMException('file shrank while read', 'NotReadableError')
      at += n
      onBytes(at)
    }
  } finally {
    sync.close()
  }
  const after = await h.getFile()
  if (after.size !== f.size || after.lastModified !== f.lastModified) throw new DOMException('file changed while read', 'NotReadableError')
  return out
}

/** One model (id and revision) in OPFS. */
export class OpfsModelStore {
  private constructor(private readonly folder: FileSystemDirectoryHandle) {}

  /** The store of `modelId` at `revision`, or null where OPFS is unavailable or the names are unsafe. */
  static async open(modelId: string, revision: string): Promise<OpfsModelStore | null> {
    const parts = modelFolder(modelId, revision)
    const root = parts && (await opfsRoot())
    if (!parts || !root) return null
    try {
      let dir = await root.getDirectoryHandle(OPFS_ROOT, { create: true })
      for (const p of parts) dir = await dir.getDirectoryHandle(p, { create: true })
      return new OpfsModelStore(dir)
    } catch {
      return null
    }
  }

  private async dirOf(tree: CacheTree, file: string, create: boolean): Promise<{ dir: FileSystemDirectoryHandle; name: string } | null> {
    const entry = cacheEntry(tree, file)
    if (!entry) return null
    try {
      let dir = this.folder
      for (const d of entry.dirs) dir = await dir.getDirectoryHandle(d, { create })
      return { dir, name: entry.name }
    } catch (e) {
      if (isNotFound(e)) return null
      throw e
    }
  }

  private async handle(tree: CacheTree, file: string, create: boolean): Promise<FileSystemFileHandle | null> {
    const at = await this.dirOf(tree, file, create)
    if (!at) return null
    try {
      return await at.dir.getFileHandle(at.name, { create })
    } catch (e) {
      if (isNotFound(e)) return null
      throw e
    }
  }

  private async remove(tree: CacheTree, file: string): Promise<void> {
    const at = await this.dirOf(tree, file, false).catch(() => null)
    await at?.dir.removeEntry(at.name).catch(() => undefined)
  }

  private async readRecord(file: string): Promise<CacheRecord | null> {
    const h = await this.handle('records', file, false).catch(() => null)
    if (!h) return null
    const f = await h.getFile()
    return f.size > 1000 ? null : parseCacheRecord(await f.text())
  }

  private async writeRecord(file: string, handle: FileSystemFileHandle, sha256: string): Promise<void> {
    const f = await handle.getFile()
    const h = await this.handle('records', file, true)
    if (!h) return
    const w = await h.createWritable()
    await w.write(JSON.stringify(makeCacheRecord(f.size, sha256, f.lastModified)))
    await w.close()
  }

  /**
   * The stored file's bytes when they can be trusted: without hashing when its record vouches for
   * it (see `recordVouches`), else after hashing them against the manifest (or, unpinned, the
   * record). A file that fails is deleted, and null returned, so it is fetched again.
   */
  async read(file: string, expected: { size: number; sha256: string } | undefined, onBytes: (loaded: number, total: number) => void): Promise<CachedFile | null> {
    try {
      const h = await this.handle('files', file, false)
      if (!h) return null
      const f = await h.getFile()
      const record = await this.readRecord(file).catch(() => null)
      if (expected !== undefined && f.size !== expected.size) {
        await this.drop(file)
        return null
      }
      const bytes = await readStored(h, f, (n) => onBytes(n, f.size))
      if (recordVouches(record, { size: f.size, lastModified: f.lastModified }, expected)) return { bytes, sha256: record!.sha256, hashed: false }
      const want = expected?.sha256.toLowerCase() ?? record?.sha256
      const actual = want === undefined ? undefined : await sha256Hex(bytes)
      if (actual === undefined || actual !== want) {
        await this.drop(file)
        return null
      }
      await this.remove('records', file)
      await this.writeRecord(file, h, actual).catch(() => undefined)
      return { bytes, sha256: actual, hashed: true }
    } catch {
      return null
    }
  }

  /** Deletes a stored file and its record (a part is kept). */
  async drop(file: string): Promise<void> {
    await this.remove('records', file)
    await this.remove('files', file)
  }

  /** Length of the `.part` of `file` (0 when none). */
  async partLength(file: string): Promise<number> {
    const h = await this.handle('partial', file, false).catch(() => null)
    return h ? (await h.getFile()).size : 0
  }

  /** The `.part`'s bytes, or an empty array when none. */
  async readPart(file: string): Promise<Uint8Array> {
    const h = await this.handle('partial', file, false).catch(() => null)
    return h ? new Uint8Array(await (await h.getFile()).arrayBuffer()) : new Uint8Array(0)
  }

  async dropPart(file: string): Promise<void> {
    await this.remove('partial', file)
  }

  /** Opens the `.part` for appending at `at` (cut to that length first); null when it cannot be written here. */
  async openPart(file: string, at: number): Promise<PartWriter | null> {
    try {
      const h = await this.handle('partial', file, true)
      if (!h) return null
      if ('createSyncAccessHandle' in h && typeof h.createSyncAccessHandle === 'function') {
        const sync = await h.createSyncAccessHandle()
        sync.truncate(at)
        let pos = at
        return {
          write: async (chunk) => {
            pos += sync.write(chunk as Uint8Array<ArrayBuffer>, { at: pos })
          },
          // No flush(): Chromium makes it an fsync, which held the worker ~1–2 s after a 328 MB
          // download. A part is only a resume point and is hashed before anything uses it, so one
          // cut short by a crash is refetched, never trusted.
          close: async () => {
            sync.close()
          },
        }
      }
      const w = await h.createWritable({ keepExistingData: true })
      await w.truncate(at)
      await w.seek(at)
      return {
        write: (chunk) => w.write(chunk as Uint8Array<ArrayBuffer>),
        close: () => w.close(),
      }
    } catch {
      return null // locked by another load, quota, or no OPFS writes here
    }
  }

  /**
   * Makes verified bytes the cached file: the complete `.part` is moved into `files/` when there is
   * one of the right length, else `bytes` are written; then the record is written.
   */
  async commit(file: string, bytes: Uint8Array, sha256: string): Promise<void> {
    try {
      await this.drop(file)
      const target = await this.dirOf('files', file, true)
      if (!target) return
      const part = await this.handle('partial', file, false)
      let moved = false
      if (part && (await part.getFile()).size === bytes.byteLength && 'move' in part) {
        moved = await (part as unknown as MovableHandle)
          .move(target.dir, target.name)
          .then(() => true)
          .catch(() => false)
      }
      if (!moved) {
        const h = await target.dir.getFileHandle(target.name, { create: true })
        const w = await h.createWritable()
        await w.write(bytes as Uint8Array<ArrayBuffer>)
        await w.close()
        await this.dropPart(file)
      }
      await this.writeRecord(file, await target.dir.getFileHandle(target.name), sha256)
    } catch {
      // Quota, a lock, or a name OPFS refuses: the model loads, it is just fetched again next time.
      await this.drop(file).catch(() => undefined)
    }
  }
}
