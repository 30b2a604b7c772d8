import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package's root folder (where package.json is). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url))

export const DEFAULT_MANIFEST = join(PACKAGE_ROOT, 'subnets', 'default.json')
/** Generated test models (git-ignored). */
export const DEFAULT_MODELS_DIR = join(PACKAGE_ROOT, 'models')
/** Node-side state: relay key, Node miner hotkey (git-ignored). */
export const DEFAULT_STATE_DIR = join(PACKAGE_ROOT, '.webtensor')
/** The built web app. */
export const DIST_DIR = join(PACKAGE_ROOT, 'dist')

/** onnxruntime-web's dist folder (its wasm binaries and loaders), wherever npm placed it. */
export function onnxruntimeWebDist(): string {
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-web'))
}

/** The CLI entry, which `webtensor start` forks again for its owner process. */
export const CLI_BIN = join(PACKAGE_ROOT, 'bin', 'webtensor.js')
