/**
 * STUN/TURN servers for browsers' WebRTC links, as `RTCIceServer` objects. They come from the
 * subnet manifest, the server's command line and `/api/config`, so every one is checked here
 * before a browser's `RTCPeerConnection` sees it (a bad entry there throws and kills every dial).
 * Pure: no I/O, usable in the page and in Node.
 */
import { WebtensorError } from '../errors.ts'

/** One STUN or TURN server, shaped like the DOM's `RTCIceServer`. */
export interface IceServer {
  /** `stun:`, `stuns:`, `turn:` or `turns:` URLs, e.g. `turn:turn.example.org:3478?transport=udp`. */
  urls: string[]
  /** TURN only: static, or `expiry:id` when minted from a shared secret (TURN REST API). */
  username?: string
  credential?: string
}

/** A malformed ICE server list; `field` names the bad entry, e.g. `network.iceServers[1].urls`. */
export class IceServerError extends WebtensorError {
  override name = 'IceServerError'
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field} ${problem}`, { code: 'bad_ice_servers' })
  }
}

/** Bounds that keep a hostile or mistaken list from costing a page anything (each URL is an ICE allocation). */
export const ICE_LIMITS = { servers: 8, urlsPerServer: 8, urlChars: 512, credentialChars: 512 } as const

// RFC 7064/7065: scheme, then host (name, IPv4 or [IPv6]) and optional port; `?transport=` only on TURN.
const URL_RE = /^(stuns?|turns?):(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\?transport=(udp|tcp))?$/

/**
 * Checks an ICE server list (as parsed JSON) and returns it normalised (`urls` always an array).
 * `urls` may be a string or an array of strings; TURN URLs need `username` and `credential`
 * (browsers throw without them). Throws {@link IceServerError} naming the first bad field.
 * @example parseIceServers([{ urls: 'stun:stun.example.org:3478' }], 'network.iceServers')
 */
export function parseIceServers(json: unknown, field: string): IceServer[] {
  if (!Array.isArray(json)) throw new IceServerError(field, 'must be an array of {urls, username?, credential?}')
  if (json.length > ICE_LIMITS.servers) throw new IceServerError(field, `has ${json.length} servers, at most ${ICE_LIMITS.servers} allowed`)
  return json.map((entry: unknown, i) => parseIceServer(entry, `${field}[${i}]`))
}

function parseIceServer(entry: unknown, field: string): IceServer {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new IceServerError(field, 'must be an object {urls, username?, credential?}')
  const o = entry as Record<string, unknown>
  for (const key of Object.keys(o)) {
    if (key !== 'urls' && key !== 'username' && key !== 'credential') throw new IceServerError(`${field}.${key}`, 'is not a known field (urls, username, credential)')
  }
  const rawUrls = typeof o.urls === 'string' ? [o.urls] : o.urls
  if (!Array.isArray(rawUrls) || rawUrls.length === 0) throw new IceServerError(`${field}.urls`, 'must be a URL or a non-empty array of URLs')
  if (rawUrls.length > ICE_LIMITS.urlsPerServer) throw new IceServerError(`${field}.urls`, `has ${rawUrls.length} URLs, at most ${ICE_LIMITS.urlsPerServer} allowed`)
  const urls = rawUrls.map((u: unknown, j) => {
    if (typeof u !== 'string' || u.length > ICE_LIMITS.urlChars || !URL_RE.test(u)) {
      throw new IceServerError(`${field}.urls[${j}]`, `must be a stun:, stuns:, turn: or turns: URL like turn:host:3478?transport=udp, got ${JSON.stringify(u)?.slice(0, 80)}`)
    }
    if (u.startsWith('stun') && u.includes('?')) throw new IceServerError(`${field}.urls[${j}]`, 'is a STUN URL: ?transport= applies to TURN only')
    return u
  })
  const out: IceServer = { urls }
  for (const key of ['username', 'credential'] as const) {
    const v = o[key]
    if (v === undefined) continue
    if (typeof v !== 'string' || v === '' || v.length > ICE_LIMITS.credentialChars) {
      throw new IceServerError(`${field}.${key}`, `must be a non-empty string of at most ${ICE_LIMITS.credentialChars} characters`)
    }
    out[key] = v
  }
  if (urls.some((u) => u.startsWith('turn')) && (out.username === undefined || out.credential === undefined)) {
    throw new IceServerError(field, 'has TURN URLs and needs both username and credential')
  }
  return out
}
