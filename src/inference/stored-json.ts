/**
 * The JSON object in a stored string (localStorage, a cache record), or null when it is too long,
 * not JSON, or not an object: what storage hands back may be damaged or foreign, never trusted.
 * @example const r = storedObject(localStorage.getItem(key), 2000); if (r !== null) use(r.size)
 */
export function storedObject(text: string | null, maxLength: number): Record<string, unknown> | null {
  if (text === null || text.length > maxLength) return null
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null
}
