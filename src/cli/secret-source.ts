/**
 * Where the CLI takes a hotkey secret from: a btcli wallet (`--wallet.name`, `--wallet.hotkey`,
 * `--wallet.path`), `--secret-file PATH`, the `WEBTENSOR_SECRET` environment variable, or
 * `--secret URI`; and a coldkey password from `--coldkey-password-file PATH` or
 * `WEBTENSOR_COLDKEY_PASSWORD` (never from argv). The command line is readable by every user of the
 * machine (`ps`, /proc/PID/cmdline), so `--secret` still works but warns; a file (mode 600) or
 * the environment (/proc/PID/environ is readable by the same user only) keep it private.
 * Nothing here ever puts the secret into a message.
 */
import { readFileSync, statSync } from 'node:fs'
import { WebtensorError } from '../errors.ts'
import type { WalletLocation } from '../identity/wallet-files.ts'

/** The environment variable that can hold the secret. */
export const SECRET_ENV = 'WEBTENSOR_SECRET'

export interface SecretSources {
  /** `--secret URI` */
  secret?: string | undefined
  /** `--secret-file PATH` */
  secretFile?: string | undefined
  /** The value of `WEBTENSOR_SECRET`, if set. */
  env?: string | undefined
}

export interface ResolvedSecret {
  secret: string
  from: 'file' | 'env' | 'argv' | 'wallet'
  /** Lines to print as warnings (they never contain the secret). */
  warnings: string[]
}

/** A secret source that cannot be used: a missing, unreadable or empty file, an empty variable, two flags at once. */
export class SecretSourceError extends WebtensorError {
  override name = 'SecretSourceError'
}

/** What `resolveSecret` needs from the file system (tests pass their own). */
export interface SecretFileSystem {
  readFile(path: string): string
  /** Permission bits of the file. */
  mode(path: string): number
}

const nodeFs: SecretFileSystem = {
  readFile: (path) => readFileSync(path, 'utf8'),
  mode: (path) => statSync(path).mode & 0o777,
}

const ARGV_WARNING =
  `--secret puts the secret on the command line, where other users of this machine can read it (ps, /proc); ` +
  `use --secret-file PATH (mode 600) or ${SECRET_ENV} instead`

/**
 * Picks the secret: `--secret-file`, else `--secret` (with a warning), else `WEBTENSOR_SECRET`;
 * a flag wins over the environment. Null when none is given. Throws `SecretSourceError` for a
 * source that is there but unusable, so a typo never silently means "no secret".
 * @example resolveSecret({ secretFile: 'validator.secret', env: process.env.WEBTENSOR_SECRET })
 */
export function resolveSecret(sources: SecretSources, fs: SecretFileSystem = nodeFs): ResolvedSecret | null {
  const { secret, secretFile, env } = sources
  if (secret !== undefined && secretFile !== undefined) {
    throw new SecretSourceError('give either --secret-file or --secret, not both', { code: 'bad_secret_source' })
  }
  if (secretFile !== undefined) return fromFile(secretFile, fs, '--secret-file')
  if (secret !== undefined) {
    if (secret.trim() === '') throw new SecretSourceError('--secret is empty', { code: 'bad_secret_source' })
    return { secret: secret.trim(), from: 'argv', warnings: [ARGV_WARNING] }
  }
  if (env !== undefined) {
    if (env.trim() === '') throw new SecretSourceError(`${SECRET_ENV} is set but empty`, { code: 'bad_secret_source' })
    return { secret: env.trim(), from: 'env', warnings: [] }
  }
  return null
}

function fromFile(path: string, fs: SecretFileSystem, flag: string): ResolvedSecret {
  if (path === '') throw new SecretSourceError(`${flag} needs a path`, { code: 'bad_secret_source' })
  let text: string
  try {
    text = fs.readFile(path)
  } catch (err) {
    throw new SecretSourceError(`${flag} ${path}: ${readFailure(err)}`, { code: 'bad_secret_source' })
  }
  const secret = text.trim()
  if (secret === '') throw new SecretSourceError(`${flag} ${path} is empty`, { code: 'bad_secret_source' })
  const warnings: string[] = []
  let mode = 0
  try {
    mode = fs.mode(path)
  } catch {
    // It was just read; a stat failure now changes nothing about using it.
  }
  if ((mode & 0o077) !== 0) warnings.push(`${flag} ${path} can be read by other users (mode ${mode.toString(8)}): chmod 600 ${path}`)
  return { secret, from: 'file', warnings }
}

/** Why a file could not be read, in words (from the error code only: never its content). */
function readFailure(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  switch (code) {
    case 'ENOENT':
      return 'no such file'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EISDIR':
      return 'is a directory, not a file'
    default:
      return `cannot be read (${typeof code === 'string' ? code : 'unknown error'})`
  }
}

/** The environment variable that can hold a coldkey's password. */
export const COLDKEY_PASSWORD_ENV = 'WEBTENSOR_COLDKEY_PASSWORD'

/** `parseArgs` options for a btcli wallet and its coldkey password (spread them into a command's options). */
export const WALLET_FLAG_SPECS = {
  'wallet.name': { type: 'string' },
  'wallet.hotkey': { type: 'string' },
  'wallet.path': { type: 'string' },
  'coldkey-password-file': { type: 'string' },
} as const

/** The wallet the flags name, or null when no `--wallet.*` flag is given (btcli's defaults fill the rest). */
export function walletLocation(values: { 'wallet.name'?: string | undefined; 'wallet.hotkey'?: string | undefined; 'wallet.path'?: string | undefined }): WalletLocation | null {
  const { 'wallet.name': name, 'wallet.hotkey': hotkey, 'wallet.path': path } = values
  if (name === undefined && hotkey === undefined && path === undefined) return null
  return { name, hotkey, path }
}

/**
 * The coldkey password: `--coldkey-password-file` (trimmed, as btcli trims what it reads), else
 * `WEBTENSOR_COLDKEY_PASSWORD`; null when neither is given. There is deliberately no argv flag.
 */
export function resolveColdkeyPassword(sources: { passwordFile?: string | undefined; env?: string | undefined }, fs: SecretFileSystem = nodeFs): ResolvedSecret | null {
  if (sources.passwordFile !== undefined) return fromFile(sources.passwordFile, fs, '--coldkey-password-file')
  if (sources.env !== undefined) {
    if (sources.env.trim() === '') throw new SecretSourceError(`${COLDKEY_PASSWORD_ENV} is set but empty`, { code: 'bad_secret_source' })
    return { secret: sources.env.trim(), from: 'env', warnings: [] }
  }
  return null
}

/**
 * The hotkey secret of a node command: from the btcli wallet the `--wallet.*` flags name (its
 * hotkey file's mnemonic, seed or private key), else as `resolveSecret`. A wallet and
 * `--secret`/`--secret-file` together are refused; a wallet wins over `WEBTENSOR_SECRET`.
 * Throws `SecretSourceError` (its message names the file and the btcli command that fixes it).
 */
export async function resolveNodeSecret(sources: SecretSources & { wallet: WalletLocation | null }, fs: SecretFileSystem = nodeFs): Promise<ResolvedSecret | null> {
  if (sources.wallet === null) return resolveSecret(sources, fs)
  if (sources.secret !== undefined || sources.secretFile !== undefined) {
    throw new SecretSourceError('give either --wallet.name/--wallet.hotkey or --secret-file/--secret, not both', { code: 'bad_secret_source' })
  }
  const { loadHotkeyFile } = await import('../identity/wallet-files.ts')
  const { KeyfileError } = await import('../identity/keyfile.ts')
  try {
    const hotkey = await loadHotkeyFile(sources.wallet)
    return { secret: hotkey.secret, from: 'wallet', warnings: [] }
  } catch (err) {
    if (err instanceof KeyfileError) throw new SecretSourceError(err.message, { code: 'bad_secret_source', cause: err })
    throw err
  }
}
