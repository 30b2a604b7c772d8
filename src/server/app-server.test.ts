import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAppServer, type AppServerOptions } from './app-server.ts'
import { httpRequest, rawRequest } from '../../test/support/http.ts'

/** A served tree: app/index.html, a model file of 1000 known bytes, onnxruntime's wasm and a file it must not serve. */
function fixture(): { dir: string; model: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'wt-srv-'))
  mkdirSync(join(dir, 'app'))
  mkdirSync(join(dir, 'ort'))
  mkdirSync(join(dir, 'models', 'm'), { recursive: true })
  writeFileSync(join(dir, 'app', 'index.html'), '<p>hi</p>')
  writeFileSync(join(dir, 'ort', 'ort-wasm-simd-threaded.wasm'), 'wasm')
  writeFileSync(join(dir, 'ort', 'secret.txt'), 'no')
  const model = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251))
  writeFileSync(join(dir, 'models', 'm', 'model.onnx'), model)
  return { dir, model }
}

async function withServer(extra: Partial<AppServerOptions>, run: (url: string) => Promise<void>): Promise<void> {
  const { dir } = fixture()
  const server = createAppServer({
    host: '127.0.0.1',
    port: 0,
    mounts: [
      { prefix: '/', dir: join(dir, 'app'), spa: true },
      { prefix: '/ort/', dir: join(dir, 'ort'), allow: /ort-wasm[^/]*\.(wasm|mjs)$/ },
      { prefix: '/models/', dir: join(dir, 'models'), cacheControl: 'public, max-age=3600' },
    ],
    api: { '/api/ping': () => ({ ok: true, big: 2n ** 70n }) },
    crossOrigin: ['/models/', '/ort/', '/api/config'],
    ...extra,
  })
  await server.start()
  try {
    await run(server.url)
  } finally {
    await server.stop()
  }
}

test('serves mounts with isolation headers, JSON endpoints, and refuses traversal', async () => {
  await withServer({}, async (url) => {
    const index = await fetch(url)
    assert.equal(index.status, 200)
    assert.equal(index.headers.get('cross-origin-opener-policy'), 'same-origin')
    assert.equal(index.headers.get('cross-origin-embedder-policy'), 'require-corp')
    assert.equal(index.headers.get('cross-origin-resource-policy'), 'cross-origin')
    assert.equal(await index.text(), '<p>hi</p>')
    assert.equal((await fetch(new URL('some/route', url))).status, 200, 'spa fallback')
    const wasm = await fetch(new URL('ort/ort-wasm-simd-threaded.wasm', url))
    assert.equal(wasm.headers.get('content-type'), 'application/wasm')
    assert.equal((await fetch(new URL('ort/secret.txt', url))).status, 404)
    assert.equal((await httpRequest(url, '/ort/%2e%2e/app/index.html')).status, 404)
    assert.equal((await httpRequest(url, '/models/../app/index.html')).status, 404)
    assert.equal((await httpRequest(url, '/models/m/..%2f..%2fapp%2findex.html')).status, 404)
    assert.deepEqual(await (await fetch(new URL('api/ping', url))).json(), { ok: true, big: '1180591620717411303424' })
    assert.equal((await fetch(new URL('api/nope', url))).status, 404, 'an unknown API path is not the SPA page')
  })
})

test('security headers: a CSP and no framing on HTML pages, nosniff and no referrer everywhere, CORS only where asked', async () => {
  await withServer({}, async (url) => {
    const page = await fetch(url)
    const csp = page.headers.get('content-security-policy') ?? ''
    assert.match(csp, /frame-ancestors 'none'/)
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/)
    assert.match(csp, /object-src 'none'/)
    assert.equal(page.headers.get('x-frame-options'), 'DENY')
    assert.equal(page.headers.get('access-control-allow-origin'), null, 'the page is not for other origins')
    for (const res of [page, await fetch(new URL('ort/ort-wasm-simd-threaded.wasm', url)), await fetch(new URL('nope.js', url))]) {
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer')
    }
    const wasm = await fetch(new URL('ort/ort-wasm-simd-threaded.wasm', url))
    assert.equal(wasm.headers.get('content-security-policy'), null, 'CSP is for pages')
    assert.equal(wasm.headers.get('access-control-allow-origin'), '*')
    assert.equal(wasm.headers.get('access-control-allow-credentials'), null)
    assert.equal((await fetch(new URL('models/m/model.onnx', url))).headers.get('access-control-allow-origin'), '*')
    assert.equal((await fetch(new URL('api/ping', url))).headers.get('access-control-allow-origin'), null)

    const preflight = await httpRequest(url, '/models/m/model.onnx', { method: 'OPTIONS', headers: { Origin: 'https://widget.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' } })
    assert.equal(preflight.status, 204)
    assert.equal(preflight.headers['access-control-allow-origin'], '*')
    assert.match(String(preflight.headers['access-control-allow-headers']), /Range/)
    const samePreflight = await httpRequest(url, '/', { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } })
    assert.equal(samePreflight.status, 204)
    assert.equal(samePreflight.headers['access-control-allow-origin'], undefined)
    assert.equal(samePreflight.headers.allow, 'GET, HEAD, OPTIONS')
    assert.equal((await rawRequest(url, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status, 204)
  })
})

test('methods, bodies, and sizes: 405 with Allow, 400 for a body on GET, 414 and 431', async () => {
  await withServer({}, async (url) => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'PROPFIND', 'CONNECT']) {
      const res = method === 'CONNECT' ? await rawRequest(url, 'CONNECT x:1 HTTP/1.1\r\nHost: x\r\n\r\n') : null
      if (res !== null) {
        assert.equal(res.status, 405, 'CONNECT')
        assert.match(res.text, /Allow: GET, HEAD, OPTIONS/)
        continue
      }
      const answer = await httpRequest(url, '/', { method })
      assert.equal(answer.status, 405, method)
      assert.equal(answer.headers.allow, 'GET, HEAD, OPTIONS')
    }
    assert.equal((await rawRequest(url, 'FROB / HTTP/1.1\r\nHost: x\r\n\r\n')).status, 400, 'a method the parser does not know')
    const withBody = await rawRequest(url, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello')
    assert.equal(withBody.status, 400)
    assert.match(withBody.text, /connection: close/i)
    assert.equal((await rawRequest(url, 'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')).status, 400)
    assert.equal((await httpRequest(url, `/${'a'.repeat(5000)}`)).status, 414)
    assert.equal((await rawRequest(url, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`)).status, 431)
    assert.equal((await rawRequest(url, 'GET http://other.example/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status, 400, 'absolute-form is for proxies')
    assert.equal((await rawRequest(url, 'GET / HTTP/1.1\r\n\r\n')).status, 400, 'no Host')
    for (const path of ['/%', '/%E0%A4%A', '/a%00b', '/%ED%A0%80']) assert.equal((await httpRequest(url, path)).status, 400, path)
    assert.equal((await httpRequest(url, '/')).status, 200, 'still serving')
  })
})

test('static files: strong ETag and 304, single ranges (206/416), If-Range, HEAD', async () => {
  const { model } = fixture()
  await withServer({}, async (url) => {
    const path = '/models/m/model.onnx'
    const full = await httpRequest(url, path)
    assert.equal(full.status, 200)
    assert.deepEqual(full.body, model)
    assert.equal(full.headers['accept-ranges'], 'bytes')
    assert.equal(full.headers['cache-control'], 'public, max-age=3600')
    const etag = String(full.headers.etag)
    assert.match(etag, /^"[^"]+"$/, 'strong')
    const again = await httpRequest(url, path, { headers: { 'If-None-Match': `"other", ${etag}` } })
    assert.equal(again.status, 304)
    assert.equal(again.body.length, 0)
    assert.equal(again.headers.etag, etag)
    assert.equal((await httpRequest(url, path, { headers: { 'If-None-Match': '"other"' } })).status, 200)

    const part = await httpRequest(url, path, { headers: { Range: 'bytes=100-199' } })
    assert.equal(part.status, 206)
    assert.equal(part.headers['content-range'], 'bytes 100-199/1000')
    assert.deepEqual(part.body, model.subarray(100, 200))
    const tail = await httpRequest(url, path, { headers: { Range: 'bytes=-10' } })
    assert.equal(tail.headers['content-range'], 'bytes 990-999/1000')
    assert.deepEqual(tail.body, model.subarray(990))
    const past = await httpRequest(url, path, { headers: { Range: 'bytes=1000-' } })
    assert.equal(past.status, 416)
    assert.equal(past.headers['content-range'], 'bytes */1000')
    assert.equal((await httpRequest(url, path, { headers: { Range: 'bytes=0-1,5-6' } })).status, 200, 'several ranges: the whole file')
    assert.equal((await httpRequest(url, path, { headers: { Range: 'bytes=0-9', 'If-Range': etag } })).status, 206)
    assert.equal((await httpRequest(url, path, { headers: { Range: 'bytes=0-9', 'If-Range': '"stale"' } })).status, 200, 'a changed file is sent whole')

    const head = await httpRequest(url, path, { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(head.headers['content-length'], '1000')
    assert.equal(head.body.length, 0)
    const headRange = await httpRequest(url, path, { method: 'HEAD', headers: { Range: 'bytes=0-9' } })
    assert.equal(headRange.status, 206)
    assert.equal(headRange.headers['content-length'], '10')
  })
})

test('API: bodies cached per version with an ETag, and a per-client token bucket answering 429 with Retry-After', async () => {
  let version = 1
  let produced = 0
  await withServer(
    {
      api: { '/api/epochs/recent': { get: () => ({ epochs: [version], n: ++produced }), version: () => version } },
      rateLimit: { burst: 20, perSecond: 1 },
    },
    async (url) => {
      const first = await httpRequest(url, '/api/epochs/recent')
      for (let i = 0; i < 5; i++) await httpRequest(url, '/api/epochs/recent')
      assert.equal(produced, 1, 'one serialisation while the version stays')
      assert.equal((await httpRequest(url, '/api/epochs/recent', { headers: { 'If-None-Match': String(first.headers.etag) } })).status, 304)
      version = 2
      assert.deepEqual(JSON.parse((await httpRequest(url, '/api/epochs/recent')).body.toString()), { epochs: [2], n: 2 })
      const statuses: number[] = []
      for (let i = 0; i < 20; i++) statuses.push((await httpRequest(url, '/api/epochs/recent')).status)
      assert.ok(statuses.includes(429), statuses.join())
      const limited = await httpRequest(url, '/api/nope')
      assert.equal(limited.status, 429, 'unknown API paths count too')
      assert.ok(Number(limited.headers['retry-after']) >= 1)
      assert.equal((await httpRequest(url, '/')).status, 200, 'static files are not rate-limited')
    },
  )
})

test('slow and greedy clients: headers timeout (408), a cap on connections per client', async () => {
  await withServer({ limits: { headersTimeoutMs: 500, requestTimeoutMs: 1000, maxConnectionsPerClient: 3 } }, async (url) => {
    // Slowloris: the request line and one header, then nothing.
    const slow = await rawRequest(url, 'GET / HTTP/1.1\r\nHost: x\r\n', { timeoutMs: 10_000 })
    assert.equal(slow.status, 408, slow.text)

    const { port } = new URL(url)
    const sockets = Array.from({ length: 5 }, () => connect({ host: '127.0.0.1', port: Number(port) }))
    const closedEarly = await Promise.all(
      sockets.map(
        (s) =>
          new Promise<boolean>((resolve) => {
            s.on('error', () => {})
            s.once('close', () => resolve(true))
            setTimeout(() => resolve(false), 300)
          }),
      ),
    )
    assert.equal(closedEarly.filter(Boolean).length, 2, 'the 4th and 5th connection are closed at once')
    for (const s of sockets) s.destroy()
    await new Promise((r) => setTimeout(r, 50))
    assert.equal((await httpRequest(url, '/')).status, 200, 'the slots are free again')
  })
})
