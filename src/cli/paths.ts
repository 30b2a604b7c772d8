import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package's root folder (where package.json is). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url))

export const DEFAULT_MANIFEST = join(PACKAGE_ROOT, 'subnets', 'default.json')
/**
 * The user's webtensor folder: `$WEBTENSOR_HOME`, else `~/.webtensor`. State lives with the user,
 * never inside the installed package (which npm may replace or make read-only).
 */
export const WEBTENSOR_HOME = process.env.WEBTENSOR_HOME !== undefined && process.env.WEBTENSOR_HOME !== '' ? process.env.WEBTENSOR_HOME : join(homedir(), '.webtensor')
/** Node-side state: relay key, Node miner hotkey, the owner's chain log. */
export const DEFAULT_STATE_DIR = WEBTENSOR_HOME
/** Model files served to pages and loaded by Node peers; the generated test models go here. */
export const DEFAULT_MODELS_DIR = join(WEBTENSOR_HOME, 'models')
/** The built web app. */
export const DIST_DIR = join(PACKAGE_ROOT, 'dist')

/** onnxruntime-web's dist folder (its wasm binaries and loaders), wherever npm placed it. */
export function onnxruntimeWebDist(): string {
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-web'))
}

/** The CLI entry, which `webtensor start` forks again for its owner process. */
export const CLI_BIN = join(PACKAGE_ROOT, 'bin', 'webtensor.js')
