/**
 * OPFS helpers for browser tests: look at and damage the model cache the way other same-origin
 * code could. Paths are lists of names from the OPFS root.
 */
async function parentOf(path: string[], create: boolean): Promise<{ dir: FileSystemDirectoryHandle; name: string } | null> {
  let dir = await navigator.storage.getDirectory()
  try {
    for (const p of path.slice(0, -1)) dir = await dir.getDirectoryHandle(p, { create })
  } catch {
    return null
  }
  return { dir, name: path.at(-1)! }
}

async function fileOf(path: string[], create = false): Promise<FileSystemFileHandle | null> {
  const at = await parentOf(path, create)
  return at ? at.dir.getFileHandle(at.name, { create }).catch(() => null) : null
}

/** Size and lastModified of a file, or null when absent. */
export async function stat(path: string[]): Promise<{ size: number; lastModified: number } | null> {
  const h = await fileOf(path)
  if (!h) return null
  const f = await h.getFile()
  return { size: f.size, lastModified: f.lastModified }
}

/** Lower-case hex sha256 of a file, or null when absent. */
export async function sha256(path: string[]): Promise<string | null> {
  const h = await fileOf(path)
  if (!h) return null
  const digest = await crypto.subtle.digest('SHA-256', await (await h.getFile()).arrayBuffer())
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Flips `count` bytes at `at` in place (the file keeps its size). */
export async function corrupt(path: string[], at: number, count: number): Promise<void> {
  const h = await fileOf(path)
  if (!h) throw new Error(`no file ${path.join('/')}`)
  const old = new Uint8Array(await (await h.getFile()).slice(at, at + count).arrayBuffer())
  const w = await h.createWritable({ keepExistingData: true })
  await w.write({ type: 'write', position: at, data: old.map((b) => b ^ 0xff) })
  await w.close()
}

/** Writes a file from `bytes` (fetched from `url`, cut to `length`, with `flip` byte positions flipped, or zeros of `length` when no url). */
export async function put(path: string[], o: { url?: string; length: number; flip?: number[] }): Promise<void> {
  const bytes = o.url ? new Uint8Array(await (await fetch(o.url)).arrayBuffer()).slice(0, o.length) : new Uint8Array(o.length)
  for (const i of o.flip ?? []) bytes[i] ^= 0xff
  const h = await fileOf(path, true)
  const w = await h!.createWritable()
  await w.write(bytes)
  await w.close()
}
