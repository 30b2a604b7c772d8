/**
 * A page may not start a Worker from another origin's URL, and the widget runs on the host's
 * page while its worker scripts live on the webtensor server. So a worker from another origin is
 * started from a one-line module made here (a `blob:` URL of the host's origin) that imports the
 * real script from the server (CORS). A static `import` finishes before the worker reads its first
 * message, so messages posted at once are not lost. The real script's `import.meta.url` is the
 * server's, so what it loads relative to itself comes from the server too.
 */

import { workerShimSource } from './policy.ts'

/** How long the shim's blob URL lives: the worker has fetched it long before. */
const REVOKE_AFTER_MS = 60_000

/**
 * `Worker`, but a script of another origin than the page's is loaded through a module shim. The
 * widget's build puts this in place of `Worker` in the code it bundles (see vite.widget.config.ts).
 */
export class CrossOriginWorker extends Worker {
  constructor(scriptUrl: string | URL, options?: WorkerOptions) {
    const url = new URL(scriptUrl, globalThis.location.href)
    if (url.origin === globalThis.location.origin || url.protocol === 'blob:' || url.protocol === 'data:') {
      super(url, options)
      return
    }
    const shim = URL.createObjectURL(new Blob([workerShimSource(url.href)], { type: 'text/javascript' }))
    super(shim, { ...options, type: 'module' })
    setTimeout(() => URL.revokeObjectURL(shim), REVOKE_AFTER_MS)
  }
}
