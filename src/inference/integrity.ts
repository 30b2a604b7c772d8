/**
 * Model integrity: a model is pinned by the size and sha256 of each file. Pure checks over bytes
 * (WebCrypto, so the same code runs in Node, a page and a worker).
 */
import { ModelIntegrityError } from './errors.ts'
import { sha256HexJs } from './sha256.ts'
import type { ModelIntegrity } from './types.ts'

/** Lower-case hex sha256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (typeof crypto === 'undefined' || !crypto.subtle) return sha256HexJs(bytes)
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * Throws `ModelIntegrityError` naming `file` when `bytes` do not match the manifest entry. A file
 * that the manifest does not list is refused too: a pinned model has exactly the listed files.
 */
export async function verifyFileBytes(integrity: ModelIntegrity, file: string, bytes: Uint8Array): Promise<void> {
  const expected = integrity.files[file]
  if (expected === undefined) throw new ModelIntegrityError(file, 'not listed in the integrity manifest')
  if (bytes.byteLength !== expected.size) {
    throw new ModelIntegrityError(file, `size ${bytes.byteLength} bytes, manifest says ${expected.size}`)
  }
  verifyFileDigest(integrity, file, bytes.byteLength, await sha256Hex(bytes))
}

/**
 * The same check from a size and a digest already computed (a download hashed while it streamed):
 * throws `ModelIntegrityError` naming `file` unless both match the manifest entry.
 */
export function verifyFileDigest(integrity: ModelIntegrity, file: string, size: number, sha256: string): void {
  const expected = integrity.files[file]
  if (expected === undefined) throw new ModelIntegrityError(file, 'not listed in the integrity manifest')
  if (size !== expected.size) throw new ModelIntegrityError(file, `size ${size} bytes, manifest says ${expected.size}`)
  if (sha256.toLowerCase() !== expected.sha256.toLowerCase()) {
    throw new ModelIntegrityError(file, `sha256 ${sha256}, manifest says ${expected.sha256}`)
  }
}

/** True when two manifests list the same files with the same sizes and hashes. */
export function sameIntegrity(a: ModelIntegrity, b: ModelIntegrity): boolean {
  const ka = Object.keys(a.files).sort()
  const kb = Object.keys(b.files).sort()
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false
  return ka.every((k) => a.files[k].size === b.files[k].size && a.files[k].sha256.toLowerCase() === b.files[k].sha256.toLowerCase())
}
