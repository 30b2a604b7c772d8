/**
 * Short-lived TURN credentials from a shared secret: the "TURN REST API" scheme coturn implements
 * with `use-auth-secret` / `static-auth-secret`. The username is `<expiry unix seconds>:<id>`, the
 * password base64(HMAC-SHA1(secret, username)); coturn recomputes it and refuses expired names, so
 * a credential a page leaks stops working at its expiry and the secret never leaves the server.
 */
import { createHmac, randomBytes } from 'node:crypto'

export interface TurnCredential {
  username: string
  credential: string
}

/**
 * Mints one credential valid for `ttlS` seconds from `nowMs`.
 * @example turnCredential('s3cret', 86400) // { username: '1767312000:9f2c…', credential: 'k1…=' }
 */
export function turnCredential(secret: string, ttlS: number, nowMs = Date.now(), id = randomBytes(8).toString('hex')): TurnCredential {
  const username = `${Math.floor(nowMs / 1000) + ttlS}:${id}`
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') }
}
