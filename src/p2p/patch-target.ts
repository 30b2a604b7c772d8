/**
 * What each runtime patch of a library's internals was written for, and the check that the
 * installed library is still that. The patches (`yamux-window.ts`, `socket-cork.ts`,
 * `frame-decoder.ts`, `one-buffer-frames.ts`) replace methods on classes and functions that
 * libp2p constructs deep inside its own modules, with no option or factory to hand it ours, so
 * they are process-wide: every libp2p node in the realm gets them. That is acceptable because the
 * process is a webtensor node (the CLI, or the page), they change no byte on the wire, and they
 * are pinned: each names the exact versions it was read against and the shape it relies on, and
 * `ensureRuntime` refuses to start (`RuntimePatchError`) when either differs, instead of
 * patching a library that changed under it.
 *
 * Versions are read from the installed packages' package.json in Node. A page bundle has no
 * package.json to read (none of these packages exports it), so pages check the shapes only; the
 * bundle is built from the same `node_modules` that the Node check and the unit tests vouch for.
 */
import { WebtensorError } from '../errors.ts'

/** What one runtime patch was written for. */
export interface PatchTarget {
  /** The patch's name (its module in src/p2p). */
  readonly patch: string
  /** The package whose code the patch replaces. */
  readonly patched: string
  /**
   * Exact versions of the packages the patch was read against: the patched one, and those whose
   * use of it the patch exists for (they must load the patched copy, not one of their own).
   */
  readonly versions: Readonly<Record<string, string>>
  /** The shape the patch relies on: null when it is there, else what is missing. */
  shape(): string | null
}

/** A library under a runtime patch is not the one the patch was written for. */
export class RuntimePatchError extends WebtensorError {
  override name = 'RuntimePatchError'
  constructor(
    /** The patch (e.g. `yamux-window`). */
    readonly patch: string,
    /** The package that differs. */
    readonly packageName: string,
    /** What the patch was written for: a version, or the shape it relies on. */
    readonly expected: string,
    /** What is installed. */
    readonly found: string,
  ) {
    super(
      `runtime patch ${patch} was written for ${packageName} ${expected}, found ${found}: ` +
        `re-check the patch against the new version and update its pin in src/p2p/${patch}.ts`,
      { code: 'runtime_patch_mismatch' },
    )
  }
}

/** Where a package is installed and its version, as the Node check found it. */
export interface InstalledPackage {
  version: string
  /** The package's folder (real path). */
  dir: string
}

/** Finds an installed package; null when it is not resolvable from src/p2p. */
export type FindPackage = (name: string) => InstalledPackage | null
/** The version of `name` installed inside `dir`'s own node_modules, if it has its own copy. */
export type FindNestedPackage = (dir: string, name: string) => InstalledPackage | null

/**
 * Checks `target` against what is installed; throws `RuntimePatchError` for the first
 * difference. `find` and `findNested` are absent in browsers, where only the shape is checked.
 */
export function checkPatchTarget(target: PatchTarget, find?: FindPackage, findNested?: FindNestedPackage): void {
  const missing = target.shape()
  if (missing !== null) throw new RuntimePatchError(target.patch, target.patched, 'shape', missing)
  if (find === undefined) return
  const patched = find(target.patched)
  for (const [name, expected] of Object.entries(target.versions)) {
    const found = find(name)
    if (found === null) throw new RuntimePatchError(target.patch, name, expected, 'not installed')
    if (found.version !== expected) throw new RuntimePatchError(target.patch, name, expected, found.version)
    if (name === target.patched || patched === null || findNested === undefined) continue
    const own = findNested(found.dir, target.patched)
    if (own !== null && own.dir !== patched.dir) {
      throw new RuntimePatchError(target.patch, target.patched, `${patched.version} shared with ${name}`, `${name} has its own copy (${own.version}), which stays unpatched`)
    }
  }
}

/**
 * Describes what of the function `fn` (called `name` in messages) a patch needs: null when it is
 * a function whose source mentions every name in `mentions` (property names survive minification).
 */
export function functionShape(fn: unknown, name: string, mentions: readonly string[] = []): string | null {
  if (typeof fn !== 'function') return `no function ${name}`
  const source = Function.prototype.toString.call(fn)
  const absent = mentions.filter((m) => !source.includes(m))
  return absent.length === 0 ? null : `${name} no longer uses ${absent.join(', ')}`
}

// Variables, so bundlers leave Node's modules out of the browser build.
const NODE_FS = 'node:fs'
const NODE_PATH = 'node:path'
const NODE_URL = 'node:url'

/**
 * Node's view of the installed packages: each resolved from this folder, as the patch modules
 * import them, then its package.json read from the package's folder.
 */
export async function nodePackageFinder(): Promise<{ find: FindPackage; findNested: FindNestedPackage }> {
  const fs = (await import(/* @vite-ignore */ NODE_FS)) as typeof import('node:fs')
  const path = (await import(/* @vite-ignore */ NODE_PATH)) as typeof import('node:path')
  const url = (await import(/* @vite-ignore */ NODE_URL)) as typeof import('node:url')
  const read = (dir: string, name: string): InstalledPackage | null => {
    const file = path.join(dir, 'package.json')
    if (!fs.existsSync(file)) return null
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown }
    return pkg.name === name && typeof pkg.version === 'string' ? { version: pkg.version, dir: fs.realpathSync(dir) } : null
  }
  const find: FindPackage = (name) => {
    let entry: string
    try {
      entry = url.fileURLToPath(import.meta.resolve(name))
    } catch {
      return null
    }
    // Up from the entry file to the folder whose package.json names the package.
    for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const found = read(dir, name)
      if (found !== null) return found
    }
    return null
  }
  const findNested: FindNestedPackage = (dir, name) => read(path.join(dir, 'node_modules', ...name.split('/')), name)
  return { find, findNested }
}
