/**
 * The network flags of `webtensor start|relay`: TLS for the relay and the web server, the public
 * relay addresses to hand browsers, and the STUN/TURN servers pages get in `/api/config`. Parsing
 * reads the files it is pointed at and checks everything before anything listens, so a typo is a
 * clear error at start, not a page that silently cannot connect.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { multiaddr } from '@multiformats/multiaddr'
import { WebtensorError } from '../errors.ts'
import { transportOf } from '../p2p/addrs.ts'
import { IceServerError, ICE_LIMITS, parseIceServers, type IceServer } from '../p2p/ice-servers.ts'

/** A bad command-line value; the message names the flag. */
export class CliUsageError extends WebtensorError {
  override name = 'CliUsageError'
  constructor(message: string) {
    super(message, { code: 'bad_flag' })
  }
}

/** The flags as `node:util` parseArgs gives them. */
export interface NetFlags {
  'tls-cert'?: string
  'tls-key'?: string
  announce?: string[]
  'ice-servers'?: string
  turn?: string[]
  'turn-secret-file'?: string
  'turn-ttl'?: string
}

/** parseArgs option specs of {@link NetFlags}, to spread into a command's options. */
export const NET_FLAG_SPECS = {
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  announce: { type: 'string', multiple: true },
  'ice-servers': { type: 'string' },
  turn: { type: 'string', multiple: true },
  'turn-secret-file': { type: 'string' },
  'turn-ttl': { type: 'string' },
} as const

export interface NetOptions {
  /** PEM certificate (chain) and key for the relay's WebSockets and the web server. */
  tls?: { cert: string; key: string }
  /** Public relay multiaddrs for `/api/config` (e.g. behind a TLS-terminating proxy); `/p2p/<id>` is appended. */
  announce: string[]
  /** Static STUN/TURN servers for pages. */
  iceServers: IceServer[]
  /** TURN servers whose credentials are minted per `/api/config` request from coturn's shared secret. */
  turn?: { urls: string[]; secret: string; ttlS: number }
}

/** Longest lifetime of minted TURN credentials a page may get (a week). */
export const MAX_TURN_TTL_S = 7 * 24 * 3600
/** Default lifetime: a day, longer than a typical mining session (links opened later need a reload). */
export const DEFAULT_TURN_TTL_S = 24 * 3600

/**
 * Checks the network flags and loads the files they name.
 * @example parseNetFlags({ 'tls-cert': 'cert.pem', 'tls-key': 'key.pem', announce: ['/dns4/relay.example.org/tcp/443/wss'] })
 */
export function parseNetFlags(flags: NetFlags, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): NetOptions {
  const read = (flag: string, path: string): string => {
    try {
      return readFile(path)
    } catch (err) {
      throw new CliUsageError(`${flag}: cannot read ${path}: ${(err as Error).message}`)
    }
  }
  const out: NetOptions = { announce: [], iceServers: [] }

  if ((flags['tls-cert'] === undefined) !== (flags['tls-key'] === undefined)) throw new CliUsageError('--tls-cert and --tls-key go together')
  if (flags['tls-cert'] !== undefined && flags['tls-key'] !== undefined) {
    out.tls = checkTls(read('--tls-cert', flags['tls-cert']), read('--tls-key', flags['tls-key']))
  }

  for (const a of flags.announce ?? []) out.announce.push(checkAnnounce(a))

  if (flags['ice-servers'] !== undefined) {
    let json: unknown
    try {
      json = JSON.parse(flags['ice-servers'])
    } catch (err) {
      throw new CliUsageError(`--ice-servers must be JSON, e.g. '[{"urls":"stun:stun.example.org:3478"}]': ${(err as Error).message}`)
    }
    out.iceServers = iceOrUsage(() => parseIceServers(json, '--ice-servers'))
  }

  const turnUrls = flags.turn ?? []
  if (turnUrls.length > 0 || flags['turn-secret-file'] !== undefined || flags['turn-ttl'] !== undefined) {
    if (turnUrls.length === 0) throw new CliUsageError('--turn-secret-file and --turn-ttl need at least one --turn URL')
    if (flags['turn-secret-file'] === undefined) throw new CliUsageError('--turn needs --turn-secret-file (the static-auth-secret of a coturn running with use-auth-secret)')
    for (const u of turnUrls) {
      if (!/^turns?:/.test(u)) throw new CliUsageError(`--turn ${u}: must be a turn: or turns: URL, e.g. turn:turn.example.org:3478?transport=udp`)
      // Checked as a server entry with placeholder credentials: the real ones are minted per request.
      try {
        parseIceServers([{ urls: u, username: 'x', credential: 'x' }], '--turn')
      } catch (err) {
        if (err instanceof IceServerError) throw new CliUsageError(`--turn ${u}: ${err.problem}`)
        throw err
      }
    }
    if (turnUrls.length > ICE_LIMITS.urlsPerServer) throw new CliUsageError(`--turn: at most ${ICE_LIMITS.urlsPerServer} URLs`)
    const secret = read('--turn-secret-file', flags['turn-secret-file']).trim()
    if (secret === '') throw new CliUsageError(`--turn-secret-file ${flags['turn-secret-file']} is empty`)
    const ttl = flags['turn-ttl'] === undefined ? DEFAULT_TURN_TTL_S : Number(flags['turn-ttl'])
    if (!Number.isInteger(ttl) || ttl < 60 || ttl > MAX_TURN_TTL_S) throw new CliUsageError(`--turn-ttl must be whole seconds in [60, ${MAX_TURN_TTL_S}], got ${flags['turn-ttl']}`)
    out.turn = { urls: turnUrls, secret, ttlS: ttl }
  }

  const total = out.iceServers.length + (out.turn === undefined ? 0 : 1)
  if (total > ICE_LIMITS.servers) throw new CliUsageError(`--ice-servers and --turn: at most ${ICE_LIMITS.servers} servers in all`)
  return out
}

function iceOrUsage<T>(f: () => T): T {
  try {
    return f()
  } catch (err) {
    if (err instanceof IceServerError) throw new CliUsageError(err.message)
    throw err
  }
}

/** The certificate must parse, be valid now, and belong to the key: a mismatch is otherwise found only by the first browser's handshake. */
function checkTls(cert: string, key: string): { cert: string; key: string } {
  let x509: X509Certificate
  try {
    x509 = new X509Certificate(cert)
  } catch (err) {
    throw new CliUsageError(`--tls-cert is not a PEM certificate: ${(err as Error).message}`)
  }
  let privateKey
  try {
    privateKey = createPrivateKey(key)
  } catch (err) {
    throw new CliUsageError(`--tls-key is not a PEM private key: ${(err as Error).message}`)
  }
  if (!x509.checkPrivateKey(privateKey)) throw new CliUsageError('--tls-key does not belong to the certificate in --tls-cert')
  const now = Date.now()
  if (Date.parse(x509.validTo) < now) throw new CliUsageError(`--tls-cert expired on ${x509.validTo}`)
  if (Date.parse(x509.validFrom) > now) throw new CliUsageError(`--tls-cert is not valid before ${x509.validFrom}`)
  return { cert, key }
}

/** A public WebSockets multiaddr of the relay; `/p2p/<id>` may be given (it must then be the relay's, checked at start). */
function checkAnnounce(addr: string): string {
  try {
    multiaddr(addr)
  } catch (err) {
    throw new CliUsageError(`--announce ${addr}: not a multiaddr: ${(err as Error).message}`)
  }
  if (transportOf(addr) !== 'websockets' || addr.includes('/p2p-circuit') || !/^\/(ip4|ip6|dns|dns4|dns6)\//.test(addr)) {
    throw new CliUsageError(`--announce ${addr}: must be a WebSockets address browsers can dial, e.g. /dns4/relay.example.org/tcp/443/wss`)
  }
  return addr
}
