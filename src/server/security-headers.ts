import type { ServerResponse } from 'node:http'

/** What the page's Content-Security-Policy allows beyond its own origin. */
export interface PagePolicyOptions {
  /** Extra `connect-src` sources, e.g. a model hub's origin when the model is not served here. */
  connect?: string[]
}

/**
 * The Content-Security-Policy of the app's HTML pages, as tight as the built page allows:
 * - scripts only from this origin, plus `'wasm-unsafe-eval'` (the page compiles WebAssembly:
 *   the sr25519 verifier), never `eval`;
 * - workers from this origin and `blob:` (onnxruntime-web may start its threads from a blob URL);
 * - `connect-src` `ws:`/`wss:` to any host: the page dials the relay and Node peers at whatever
 *   addresses peer discovery hands it (WebRTC is not governed by CSP);
 * - no plugins, no `<base>`, no form posts, and no framing (`frame-ancestors 'none'`), so the
 *   page cannot be overlaid by another site to steal a click on "Start mining".
 */
export function pageContentSecurityPolicy(options: PagePolicyOptions = {}): string {
  const connect = ["'self'", 'ws:', 'wss:', ...(options.connect ?? [])]
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    `connect-src ${connect.join(' ')}`,
    "img-src 'self' data:",
    "style-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/**
 * Headers on every response: cross-origin isolation (COOP/COEP: WASM threads need
 * SharedArrayBuffer), CORP `cross-origin` so other sites' isolated pages may load our files, no
 * MIME sniffing, and no Referer leaking the page's URL.
 */
export function setBaseHeaders(res: ServerResponse): void {
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin')
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp')
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin')
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Referrer-Policy', 'no-referrer')
}

/** Headers of an HTML page of the app: its CSP, and no framing for browsers without `frame-ancestors`. */
export function setPageHeaders(res: ServerResponse, csp: string): void {
  res.setHeader('Content-Security-Policy', csp)
  res.setHeader('X-Frame-Options', 'DENY')
}

/**
 * CORS for files other origins may read (models, onnxruntime's wasm, the public config): any
 * origin, no credentials (`*` forbids them), and the headers a ranged or revalidating download
 * needs to see.
 */
export function setCorsHeaders(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*')
  res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, Accept-Ranges, ETag')
}

/** The answer to a CORS preflight on a cross-origin path. */
export function setPreflightHeaders(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS')
  res.setHeader('Access-Control-Allow-Headers', 'Range, If-None-Match, If-Range')
  res.setHeader('Access-Control-Max-Age', '600')
}
