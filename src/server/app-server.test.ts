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
