/**
 * Where the CLI takes a hotkey secret from: `--secret-file PATH`, the `WEBTENSOR_SECRET`
 * environment variable, or `--secret URI`. The command line is readable by every user of the
 * machine (`ps`, /proc/PID/cmdline), so `--secret` still works but warns; a file (mode 600) or
 * the environment (/proc/PID/environ is readable by the same user only) keep it private.
 * Nothing here ever puts the secret into a message.
 */
import { readFileSync, statSync } from 'node:fs'
import { WebtensorError } from '../errors.ts'

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
  from: 'file' | 'env' | 'argv'
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
  if (secretFile !== undefined) return fromFile(secretFile, fs)
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

function fromFile(path: string, fs: SecretFileSystem): ResolvedSecret {
  if (path === '') throw new SecretSourceError('--secret-file needs a path', { code: 'bad_secret_source' })
  let text: string
  try {
    text = fs.readFile(path)
  } catch (err) {
    throw new SecretSourceError(`--secret-file ${path}: ${readFailure(err)}`, { code: 'bad_secret_source' })
  }
  const secret = text.trim()
  if (secret === '') throw new SecretSourceError(`--secret-file ${path} is empty`, { code: 'bad_secret_source' })
  const warnings: string[] = []
  let mode = 0
  try {
    mode = fs.mode(path)
  } catch {
    // It was just read; a stat failure now changes nothing about using it.
  }
  if ((mode & 0o077) !== 0) warnings.push(`--secret-file ${path} can be read by other users (mode ${mode.toString(8)}): chmod 600 ${path}`)
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
