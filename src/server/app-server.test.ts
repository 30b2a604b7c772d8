import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAppServer } from './app-server.ts'

test('serves mounts with isolation headers, JSON endpoints, and refuses traversal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-srv-'))
  mkdirSync(join(dir, 'app'))
  mkdirSync(join(dir, 'ort'))
  writeFileSync(join(dir, 'app', 'index.html'), '<p>hi</p>')
  writeFileSync(join(dir, 'ort', 'ort-wasm-simd-threaded.wasm'), 'wasm')
  writeFileSync(join(dir, 'ort', 'secret.txt'), 'no')
  const server = createAppServer({
    host: '127.0.0.1',
    port: 0,
    mounts: [
      { prefix: '/', dir: join(dir, 'app'), spa: true },
      { prefix: '/ort/', dir: join(dir, 'ort'), allow: /ort-wasm[^/]*\.(wasm|mjs)$/ },
    ],
    api: { '/api/ping': () => ({ ok: true, big: 2n ** 70n }) },
  })
  await server.start()
  try {
    const index = await fetch(server.url)
    assert.equal(index.status, 200)
    assert.equal(index.headers.get('cross-origin-opener-policy'), 'same-origin')
    assert.equal(index.headers.get('cross-origin-embedder-policy'), 'require-corp')
    assert.equal(await index.text(), '<p>hi</p>')
    assert.equal((await fetch(new URL('some/route', server.url))).status, 200, 'spa fallback')
    const wasm = await fetch(new URL('ort/ort-wasm-simd-threaded.wasm', server.url))
    assert.equal(wasm.headers.get('content-type'), 'application/wasm')
    assert.equal((await fetch(new URL('ort/secret.txt', server.url))).status, 404)
    assert.equal((await fetch(new URL('ort/%2e%2e/app/index.html', server.url))).status, 404)
    assert.deepEqual(await (await fetch(new URL('api/ping', server.url))).json(), { ok: true, big: '1180591620717411303424' })
    assert.equal((await fetch(server.url, { method: 'POST' })).status, 405)
  } finally {
    await server.stop()
  }
})

test('a malformed URL gets 400 and the server keeps serving', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-srv-'))
  writeFileSync(join(dir, 'index.html'), '<p>hi</p>')
  const server = createAppServer({ host: '127.0.0.1', port: 0, mounts: [{ prefix: '/', dir, spa: true }], api: {} })
  await server.start()
  try {
    const { request } = await import('node:http')
    const status = (path: string) =>
      new Promise<number>((ok, fail) => {
        const req = request(new URL(server.url), { path }, (res) => {
          res.resume()
          ok(res.statusCode ?? 0)
        })
        req.on('error', fail)
        req.end()
      })
    assert.equal(await status('/%'), 400)
    assert.equal(await status('/%E0%A4%A'), 400)
    assert.equal(await status('/a%00b'), 400)
    assert.equal(await status('/'), 200)
  } finally {
    await server.stop()
  }
})
