import type { IncomingMessage, ServerResponse } from 'node:http'
import { createReadStream, type BigIntStats } from 'node:fs'
import { stat } from 'node:fs/promises'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { parseRange } from './byte-range.ts'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
}

/** A folder served under a URL prefix. */
export interface StaticMount {
  prefix: string
  dir: string
  /** Serve `index.html` for unknown paths without an extension (single-page app). */
  spa?: boolean
  /** Only file names matching this are served (e.g. onnxruntime's wasm and loaders). */
  allow?: RegExp
  cacheControl?: string
}

/** A file found for a request path. */
export interface StaticFile {
  path: string
  stat: BigIntStats
  cacheControl: string
  contentType: string
}

/** Finds the file a decoded URL path names under the mounts (longest prefix first), or null. */
export async function findStatic(mounts: readonly StaticMount[], path: string): Promise<StaticFile | null> {
  for (const m of mounts) {
    if (!path.startsWith(m.prefix)) continue
    const file = resolveInside(m.dir, path.slice(m.prefix.length))
    if (file === null) return null
    if (m.allow !== undefined && !m.allow.test(file)) return null
    const found =
      (await fileAt(file, m.cacheControl)) ??
      (await fileAt(join(file, 'index.html'), 'no-cache')) ??
      (m.spa === true && extname(path) === '' ? await fileAt(join(m.dir, 'index.html'), 'no-cache') : null)
    return found
  }
  return null
}

/** Joins a URL path under `dir`, refusing anything that escapes it. */
export function resolveInside(dir: string, rel: string): string | null {
  const root = resolve(dir)
  const file = resolve(root, normalize(`.${sep}${rel}`))
  return file === root || file.startsWith(root + sep) ? file : null
}

async function fileAt(path: string, cacheControl = 'no-cache'): Promise<StaticFile | null> {
  try {
    const st = await stat(path, { bigint: true })
    if (!st.isFile()) return null
    return { path, stat: st, cacheControl, contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream' }
  } catch {
    return null
  }
}

/** A strong validator from the file's identity: size, modification time in ns, inode. */
export function fileEtag(st: BigIntStats): string {
  return `"${st.size.toString(36)}-${st.mtimeNs.toString(36)}-${st.ino.toString(36)}"`
}

/** Whether an `If-None-Match` list names `etag` (weak comparison, as RFC 9110 §13.1.2 asks). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  const opaque = etag.replace(/^W\//, '')
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === opaque)
}

/**
 * Sends a file with a strong ETag: 304 when `If-None-Match` names it; for a single satisfiable
 * `Range` (and an `If-Range` that still matches) 206 with `Content-Range`; for an unsatisfiable
 * one 416; else 200. HEAD gets the same headers and no body.
 */
export function sendStatic(req: IncomingMessage, res: ServerResponse, file: StaticFile): void {
  const size = Number(file.stat.size)
  const etag = fileEtag(file.stat)
  res.setHeader('ETag', etag)
  res.setHeader('Cache-Control', file.cacheControl)
  res.setHeader('Accept-Ranges', 'bytes')
  if (etagMatches(req.headers['if-none-match'], etag)) {
    res.writeHead(304).end()
    return
  }
  const ifRange = req.headers['if-range']
  const range = ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, size) : null
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end()
    return
  }
  const { start, end } = range ?? { start: 0, end: size - 1 }
  res.writeHead(range === null ? 200 : 206, {
    'Content-Type': file.contentType,
    'Content-Length': end - start + 1,
    ...(range === null ? {} : { 'Content-Range': `bytes ${start}-${end}/${size}` }),
  })
  if (req.method === 'HEAD' || size === 0) {
    res.end()
    return
  }
  const stream = createReadStream(file.path, { start, end })
  // The file vanished or failed mid-way: the length promised cannot be kept, so drop the socket.
  stream.on('error', () => res.destroy())
  res.on('close', () => stream.destroy())
  stream.pipe(res)
}
