import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SecretStore } from './identity.ts'

/** A `SecretStore` backed by files in `dir` (one file per key, readable only by the user). */
export function fileSecretStore(dir: string): SecretStore {
  return {
    get(key) {
      try {
        return readFileSync(join(dir, key), 'utf8').trim()
      } catch {
        return null
      }
    },
    set(key, value) {
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      writeFileSync(join(dir, key), `${value}\n`, { mode: 0o600 })
    },
  }
}
