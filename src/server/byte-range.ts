/** One satisfiable byte range of a representation, inclusive at both ends (as `Content-Range` writes it). */
export interface ByteRange {
  start: number
  end: number
}

/**
 * What a `Range` header asks of a representation of `size` bytes (RFC 9110 §14):
 * - `null`: no usable range, so the whole representation is sent with 200 (no header, another
 *   unit, a syntax error, or several ranges: a server may ignore a Range it does not support,
 *   and multipart answers are not worth their parsing risk here);
 * - `'unsatisfiable'`: a well-formed single range that lies past the end (416);
 * - a `ByteRange` clipped to the representation (206).
 * @example parseRange('bytes=0-99', 1000) // { start: 0, end: 99 }
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (header === undefined || header.length > 200) return null
  const m = /^bytes[ \t]*=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i.exec(header)
  if (m === null) return null
  const [, first, last] = m as unknown as [string, string, string]
  // Digits beyond 15 would lose precision as a number; no file here is that large.
  if (first.length > 15 || last.length > 15) return null
  if (first === '') {
    // A suffix: the last N bytes.
    if (last === '') return null
    const suffix = Number(last)
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? Infinity : Number(last)
  if (end < start) return null
  if (start >= size) return 'unsatisfiable'
  return { start, end: Math.min(end, size - 1) }
}
