/**
 * The browser's model file cache (OPFS) in Chromium with an on-disk profile: it survives a reload
 * without a single model file from the server and without hashing again; a damaged file is found
 * and fetched again; a cancelled download resumes with a Range request; a damaged part never
 * passes as a whole file.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { launchChromiumProfile, TEST_HOST } from '../../test/support/browser.ts'
import { ensureTestModels, type LoadProgress, type ModelIntegrity } from './index.ts'
import { buildTestPage, serveTestPage, type TestServer } from './test-page/serve.ts'

const ID = 'webtensor/tiny-gpt2'
const ONNX = 'onnx/model.onnx'
const MODEL_URL = `/models/${ID}/${ONNX}`
const DIR = ['webtensor-models-v1', 'webtensor', 'tiny-gpt2', 'main']
const FILE = [...DIR, 'files', 'onnx', 'model.onnx']
const PART = [...DIR, 'partial', 'onnx', 'model.onnx.part']
const RECORD = [...DIR, 'records', 'onnx', 'model.onnx.json']

let root: string
let server: TestServer
let context: BrowserContext
let page: Page
let manifest: ModelIntegrity
/** Greedy tokens of the first, uncached load: every later load must give the same. */
let reference: number[]

interface LoadOutcome {
  tokenIds?: number[]
  error?: { name: string; code?: string; message: string }
  progress: LoadProgress[]
}

/** Loads the pinned model in a worker with the cache on; with `abortAtBytes`, aborts once that many bytes of the ONNX file arrived. */
function load(o: { abortAtBytes?: number } = {}): Promise<LoadOutcome> {
  return page.evaluate(
    async ({ id, manifest, onnx, abortAtBytes }) => {
      const progress: LoadProgress[] = []
      const ctl = new AbortController()
      try {
        const m = await window.webtensorInference.loadModelInWorker({
          modelId: id,
          device: 'wasm',
          localModelPath: '/models/',
          wasmPaths: '/ort/',
          integrity: manifest,
          cache: true,
          signal: ctl.signal,
          onProgress: (p) => {
            progress.push(p)
            if (abortAtBytes !== undefined && p.file === onnx && p.loaded >= abortAtBytes && p.loaded < p.total) ctl.abort()
          },
        })
        const r = await m.generate({ prompt: 'Hello', maxNewTokens: 4 })
        await m.dispose()
        return { tokenIds: r.tokenIds, progress }
      } catch (e) {
        const x = e as Error & { code?: string }
        return { error: { name: x.name, code: x.code, message: x.message }, progress }
      }
    },
    { id: ID, manifest, onnx: ONNX, abortAtBytes: o.abortAtBytes },
  )
}

const opfsStat = (path: string[]) => page.evaluate((p) => window.webtensorOpfs.stat(p), path)
const opfsSha = (path: string[]) => page.evaluate((p) => window.webtensorOpfs.sha256(p), path)
const clear = () => page.evaluate(() => window.webtensorInference.clearModelCache())
/** Log entries (path, Range, status) for model files since `mark`. */
const modelRequests = (mark: number) => server.log.slice(mark).filter((e) => e.path.startsWith('/models/'))
/** The last progress event of each file. */
function lastByFile(progress: LoadProgress[]): Map<string, LoadProgress> {
  const out = new Map<string, LoadProgress>()
  for (const p of progress) if (p.file) out.set(p.file, p)
  return out
}

async function reload(): Promise<void> {
  await page.reload()
  await page.waitForFunction(() => window.webtensorReady === true)
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'wt-opfs-'))
  manifest = (await ensureTestModels(join(root, 'models')))[ID]
  await buildTestPage(join(root, 'page'))
  server = await serveTestPage(join(root, 'page'), join(root, 'models'), TEST_HOST)
  // An on-disk profile, as a returning visitor has; the flag makes the test address a secure context (OPFS, WebCrypto).
  context = await launchChromiumProfile(join(root, 'profile'), { webgpu: false, extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${server.url}`] })
  page = await context.newPage()
  await page.addInitScript({ content: 'globalThis.__name = (f) => f' }) // tsx keepNames helper
  page.on('pageerror', (e) => console.error('[page error]', e))
  await page.goto(`${server.url}/`)
  await page.waitForFunction(() => window.webtensorReady === true)
})

after(async () => {
  await context?.close()
  await server?.close()
  await rm(root, { recursive: true, force: true })
})

test('the OPFS cache survives a reload: the second load reads no model file from the server and hashes nothing again', async () => {
  await clear()
  const mark = server.log.length
  const first = await load()
  assert.equal(first.error, undefined, first.error?.message)
  reference = first.tokenIds!
  assert.ok(modelRequests(mark).some((e) => e.path === MODEL_URL), 'first load fetched the model')
  assert.deepEqual(await opfsStat(FILE).then((s) => s?.size), manifest.files[ONNX].size)
  assert.equal(await opfsSha(FILE), manifest.files[ONNX].sha256)
  assert.ok(await opfsStat(RECORD), 'a record beside the file')
  assert.equal(await opfsStat(PART), null, 'no part left once the file is whole')

  await reload()
  const again = server.log.length
  const second = await load()
  assert.deepEqual(second.tokenIds, reference)
  assert.deepEqual(modelRequests(again), [], 'no model file from the server after the reload')
  const last = lastByFile(second.progress)
  // The manifest also lists the q8 file, which an fp32 load never asks for.
  assert.deepEqual([...last.keys()].sort(), ['config.json', 'generation_config.json', ONNX, 'tokenizer.json', 'tokenizer_config.json'])
  for (const [file, p] of last) {
    assert.equal(p.cached, 'trusted', `${file}: used on its record, without hashing`)
    assert.equal(p.status, 'load')
  }
})

test('a cache entry overwritten in OPFS by the page is detected, fetched again, and the cache repaired', async () => {
  await page.evaluate((p) => window.webtensorOpfs.corrupt(p, 5000, 64), FILE)
  assert.notEqual(await opfsSha(FILE), manifest.files[ONNX].sha256)
  const mark = server.log.length
  const out = await load()
  assert.equal(out.error, undefined, out.error?.message)
  assert.deepEqual(out.tokenIds, reference)
  assert.deepEqual(modelRequests(mark).map((e) => e.path), [MODEL_URL], 'only the damaged file is fetched again')
  const last = lastByFile(out.progress)
  assert.equal(last.get(ONNX)?.cached, undefined, 'the damaged file came from the server')
  assert.equal(last.get('tokenizer.json')?.cached, 'trusted')
  assert.equal(await opfsSha(FILE), manifest.files[ONNX].sha256, 'the cache holds the right bytes again')

  // A file that is only older than its record claims (rewritten with the same bytes) is hashed, passes, and is trusted again.
  await page.evaluate((p) => window.webtensorOpfs.corrupt(p, 0, 1).then(() => window.webtensorOpfs.corrupt(p, 0, 1)), FILE)
  const rehash = await load()
  assert.equal(lastByFile(rehash.progress).get(ONNX)?.cached, 'rehashed')
  const trusted = await load()
  assert.equal(lastByFile(trusted.progress).get(ONNX)?.cached, 'trusted')
})

test('a download cancelled mid-file leaves only a part; the next load resumes it with a Range request and the model loads', async () => {
  await clear()
  server.throttle = { bytes: 256 * 1024, delayMs: 25 }
  try {
    const cancelled = await load({ abortAtBytes: 2 * 1024 * 1024 })
    assert.equal(cancelled.error?.code, 'cancelled', JSON.stringify(cancelled.error))
  } finally {
    server.throttle = null
  }
  assert.equal(await opfsStat(FILE), null, 'no whole file after a cancel')
  const part = await opfsStat(PART)
  assert.ok(part && part.size > 0 && part.size < manifest.files[ONNX].size, `a part of ${part?.size} bytes`)

  const mark = server.log.length
  const resumed = await load()
  assert.equal(resumed.error, undefined, resumed.error?.message)
  assert.deepEqual(resumed.tokenIds, reference)
  const onnx = modelRequests(mark).filter((e) => e.path === MODEL_URL)
  assert.deepEqual(onnx, [{ path: MODEL_URL, range: `bytes=${part.size}-`, status: 206 }], 'one request, from the part on')
  assert.equal(await opfsSha(FILE), manifest.files[ONNX].sha256)
  assert.equal(await opfsStat(PART), null)
})

test('a server that ignores Range (200) makes the download start over, and the model loads', async () => {
  await clear()
  server.throttle = { bytes: 256 * 1024, delayMs: 25 }
  try {
    assert.equal((await load({ abortAtBytes: 1024 * 1024 })).error?.code, 'cancelled')
  } finally {
    server.throttle = null
  }
  const part = await opfsStat(PART)
  assert.ok(part && part.size > 0)
  server.ranges = false
  try {
    const mark = server.log.length
    const out = await load()
    assert.deepEqual(out.tokenIds, reference)
    assert.deepEqual(modelRequests(mark).filter((e) => e.path === MODEL_URL), [{ path: MODEL_URL, range: `bytes=${part.size}-`, status: 200 }])
    assert.equal(await opfsSha(FILE), manifest.files[ONNX].sha256)
  } finally {
    server.ranges = true
  }
})

test('a damaged part never passes as whole: a full-length part of wrong bytes, and a short part with a flipped byte, are both refetched from 0', async () => {
  const size = manifest.files[ONNX].size
  // Full length, wrong bytes: checked locally, refused, fetched whole.
  await clear()
  await page.evaluate(({ p, size }) => window.webtensorOpfs.put(p, { length: size }), { p: PART, size })
  let mark = server.log.length
  let out = await load()
  assert.equal(out.error, undefined, out.error?.message)
  assert.deepEqual(out.tokenIds, reference)
  assert.deepEqual(modelRequests(mark).filter((e) => e.path === MODEL_URL), [{ path: MODEL_URL, status: 200 }], 'fetched whole, no Range')
  assert.equal(await opfsSha(FILE), manifest.files[ONNX].sha256)

  // A true prefix but for one flipped byte: resumed, the whole fails the check, fetched again from 0.
  await clear()
  await page.evaluate(({ p, url }) => window.webtensorOpfs.put(p, { url, length: 3_000_000, flip: [1234] }), { p: PART, url: MODEL_URL })
  mark = server.log.length
  out = await load()
  assert.equal(out.error, undefined, out.error?.message)
  assert.deepEqual(out.tokenIds, reference)
  assert.deepEqual(
    modelRequests(mark).filter((e) => e.path === MODEL_URL),
    [
      { path: MODEL_URL, range: 'bytes=3000000-', status: 206 },
      { path: MODEL_URL, status: 200 },
    ],
  )
  assert.equal(await opfsSha(FILE), manifest.files[ONNX].sha256)
  assert.equal(await opfsStat(PART), null)

  // A part longer than the file is dropped, never trimmed into one.
  await clear()
  await page.evaluate(({ p, size }) => window.webtensorOpfs.put(p, { length: size + 10 }), { p: PART, size })
  mark = server.log.length
  out = await load()
  assert.deepEqual(out.tokenIds, reference)
  assert.deepEqual(modelRequests(mark).filter((e) => e.path === MODEL_URL), [{ path: MODEL_URL, status: 200 }])
})
