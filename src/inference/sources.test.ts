import { before, after, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureTestModels, loadModel, ModelIntegrityError, ModelLoadError, type LoadProgress, type ModelIntegrity } from './index.ts'

const ID = 'webtensor/tiny-gpt2'
let root: string
let manifest: ModelIntegrity
let server: Server
let host: string
let requests: string[] = []
/** Files the test server serves altered, by path inside the model. */
const tampered = new Set<string>()

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'wt-sources-'))
  manifest = (await ensureTestModels(join(root, 'models')))[ID]
  // A Hugging Face-style host: /<owner>/<name>/resolve/main/<file>.
  server = createServer(async (req, res) => {
    requests.push(req.url ?? '')
    const m = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(req.url ?? '')
    try {
      if (!m) throw new Error('bad path')
      let body = await readFile(join(root, 'models', m[1], m[2]))
      if (tampered.has(m[2])) body = Buffer.concat([body.subarray(0, body.length - 1), Buffer.from([body[body.length - 1] ^ 1])])
      res.writeHead(200, { 'content-length': body.length }).end(body)
    } catch {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(async () => {
  server.close()
  await rm(root, { recursive: true, force: true })
})

test('a pinned local model loads, with load progress ending at ready', async () => {
  const events: LoadProgress[] = []
  const m = await loadModel({ modelId: ID, localModelPath: join(root, 'models'), integrity: manifest, onProgress: (p) => events.push(p) })
  await m.dispose()
  assert.ok(events.some((e) => e.status === 'load' && e.file === 'onnx/model.onnx' && e.loaded === e.total))
  assert.deepEqual(events.at(-1), { file: '', loaded: events.at(-1)!.total, total: events.at(-1)!.total, progress: 1, status: 'ready' })
  for (let i = 1; i < events.length; i++) assert.ok(events[i].progress >= events[i - 1].progress, 'overall progress never goes back')
})

test('a local file that does not match the manifest is refused, naming the file', async () => {
  const wrong: ModelIntegrity = { files: { ...manifest.files, 'onnx/model.onnx': { ...manifest.files['onnx/model.onnx'], sha256: '0'.repeat(64) } } }
  await assert.rejects(loadModel({ modelId: ID, localModelPath: join(root, 'models'), integrity: wrong }), (e: unknown) => {
    assert.ok(e instanceof ModelIntegrityError)
    assert.equal(e.file, 'onnx/model.onnx')
    assert.equal(e.code, 'model_integrity')
    assert.match(e.message, /onnx\/model\.onnx.*sha256/)
    return true
  })
})

test('a remote model is downloaded with progress, verified, cached, and the next load needs no request', async () => {
  const cacheDir = join(root, 'cache-ok')
  requests = []
  const events: LoadProgress[] = []
  const a = await loadModel({ modelId: ID, remoteHost: host, allowRemote: true, cacheDir, integrity: manifest, onProgress: (p) => events.push(p) })
  const first = await a.generate({ prompt: 'Hello', maxNewTokens: 4 })
  await a.dispose()
  assert.equal(requests.length, Object.keys(manifest.files).length)
  const downloads = events.filter((e) => e.status === 'download' && e.file === 'onnx/model.onnx')
  assert.ok(downloads.length > 1 && downloads.at(-1)!.loaded === manifest.files['onnx/model.onnx'].size)
  requests = []
  const b = await loadModel({ modelId: ID, remoteHost: host, allowRemote: true, cacheDir, integrity: manifest })
  assert.deepEqual(await b.generate({ prompt: 'Hello', maxNewTokens: 4 }), first)
  await b.dispose()
  assert.equal(requests.length, 0, 'second load is served from the cache folder')
})

test('a tampered remote file is refused, naming it, and is not cached', async () => {
  const cacheDir = join(root, 'cache-bad')
  tampered.add('tokenizer.json')
  try {
    await assert.rejects(loadModel({ modelId: ID, remoteHost: host, allowRemote: true, cacheDir, integrity: manifest }), (e: unknown) => {
      assert.ok(e instanceof ModelIntegrityError)
      assert.equal(e.file, 'tokenizer.json')
      return true
    })
    await assert.rejects(stat(join(cacheDir, ID, 'tokenizer.json')))
  } finally {
    tampered.clear()
  }
})

test('without local files and with remote off, loading fails with model_not_found', async () => {
  await assert.rejects(loadModel({ modelId: 'webtensor/absent', localModelPath: join(root, 'models'), cacheDir: join(root, 'none') }), (e: unknown) => {
    assert.ok(e instanceof ModelLoadError)
    assert.equal(e.code, 'model_not_found')
    return true
  })
})

test('a manifest path that leaves the model folder is refused', async () => {
  const evil: ModelIntegrity = { files: { ...manifest.files, '../escape.json': { size: 1, sha256: '0'.repeat(64) } } }
  await assert.rejects(loadModel({ modelId: ID, localModelPath: join(root, 'models'), integrity: evil }), (e: unknown) => {
    assert.ok(e instanceof ModelIntegrityError)
    assert.equal(e.file, '../escape.json')
    return true
  })
})
