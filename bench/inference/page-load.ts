/**
 * Page load times with the OPFS model cache, against Node's warm load, in one run: Chromium with an
 * on-disk profile loads each model cold (OPFS and the wasm cache cleared, files fetched from the
 * test server) and warm (after a page reload, files from OPFS, vouched for by their records), and
 * Node loads it twice (the second is warm: files local, page cache hot). Also times what the
 * records spare: hashing the model's files with WebCrypto in the page.
 */
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { launchChromiumProfile } from '../../test/support/browser.ts'
import { loadModel, type LoadOptions, type LoadProgress, type LoadTimings, type ModelIntegrity } from '../../src/inference/index.ts'

export interface PageLoadFigures {
  node_warm_load_ms: number
  page_cold_load_ms: number
  page_warm_load_ms: number
  /** Start of the load to the last byte of the last model file (the rest is session creation): cold, warm. */
  page_cold_files_ms: number
  page_warm_files_ms: number
  /** Files a warm page load used on their records (no hashing), of those it read. */
  page_warm_files_trusted: string
  /** WebCrypto sha256 of the files a load reads, in the page: what a warm load would spend hashing without records. */
  page_hash_all_ms: number
  /**
   * The file phase alone, in the page, best of 5, over the files a load reads: from the OPFS cache
   * on records (warm), from OPFS hashed again (a record that does not vouch), and fetched from the
   * test server and hashed (cold, on a local link).
   */
  files_opfs_trusted_ms: number
  files_opfs_rehashed_ms: number
  files_fetched_hashed_ms: number
  /** Where the best warm and cold page loads' time went, as the worker runner reports it. */
  page_warm_phases_ms?: LoadTimings
  page_cold_phases_ms?: LoadTimings
  ratio_page_warm_over_node_warm: number
  ratio_page_cold_over_page_warm: number
  ratio_page_cold_over_node_warm: number
}

/** Load options the bench passes to the page (to compare loader settings). */
export type PageLoadVariant = Pick<LoadOptions, 'wasmLoading' | 'graphOptimization' | 'numThreads' | 'dtype'>

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d

async function pageLoad(page: Page, id: string, manifest: ModelIntegrity, cold: boolean, variant: PageLoadVariant): Promise<{ ms: number; filesMs: number; progress: LoadProgress[]; timings?: LoadTimings }> {
  if (cold) {
    // A first visit: no model files, no onnxruntime wasm in any cache (its compiled code included).
    await page.evaluate(() => Promise.all([window.webtensorInference.clearModelCache(), caches.delete('transformers-cache')]))
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Network.clearBrowserCache')
    await cdp.detach()
  }
  await page.reload()
  await page.waitForFunction(() => window.webtensorReady === true)
  return page.evaluate(
    async ({ id, manifest, variant }) => {
      const progress: LoadProgress[] = []
      let filesMs = 0
      const t = performance.now()
      const m = await window.webtensorInference.loadModelInWorker({
        modelId: id,
        device: 'wasm',
        localModelPath: '/models/',
        wasmPaths: '/ort/',
        integrity: manifest,
        cache: true,
        ...variant,
        onProgress: (p) => {
          progress.push(p)
          if (p.status !== 'ready') filesMs = performance.now() - t
        },
      })
      const ms = performance.now() - t
      const timings = m.loadTimings
      await m.dispose()
      return { ms, filesMs, progress, timings }
    },
    { id, manifest, variant },
  )
}

const roundPhases = (t: LoadTimings | undefined): LoadTimings | undefined =>
  t && (Object.fromEntries(Object.entries(t).map(([k, v]) => [k, round(v as number)])) as unknown as LoadTimings)
const phases = (t: LoadTimings | undefined) =>
  t ? Object.entries(t).map(([k, v]) => `${k.replace(/Ms$/, '')} ${round(v as number)}`).join(', ') : 'not reported'

/** Times the WebCrypto sha256 of `files` of model `id` in the page (fetched first, not timed). */
function pageHash(page: Page, id: string, files: string[]): Promise<number> {
  return page.evaluate(
    async ({ id, files }) => {
      const blobs = await Promise.all(files.map(async (f) => (await fetch(`/models/${id}/${f}`)).arrayBuffer()))
      const t = performance.now()
      for (const b of blobs) await crypto.subtle.digest('SHA-256', b)
      return performance.now() - t
    },
    { id, files },
  )
}

/** Times reading `files` of model `id` from OPFS through the cache's own reader, and fetching and hashing them. */
function fileRead(page: Page, id: string, manifest: ModelIntegrity, files: string[]): Promise<{ trusted: number; rehashed: number; fetched: number }> {
  return page.evaluate(
    async ({ id, manifest, files }) => {
      const store = await window.webtensorOpfsStore.open(id, 'main')
      if (!store) throw new Error('no OPFS store')
      const best = { trusted: Infinity, rehashed: Infinity, fetched: Infinity }
      for (let i = 0; i < 5; i++) {
        let t = performance.now()
        for (const f of files) {
          const hit = await store.read(f, manifest.files[f], () => {})
          if (!hit || hit.hashed) throw new Error(`${f} not trusted`)
        }
        best.trusted = Math.min(best.trusted, performance.now() - t)
        t = performance.now()
        for (const f of files) {
          // No expectation and a record that is set aside: the reader hashes. (Same bytes, same cost as a record mismatch.)
          const bytes = (await store.read(f, manifest.files[f], () => {}))!.bytes
          await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)
        }
        best.rehashed = Math.min(best.rehashed, performance.now() - t)
        t = performance.now()
        for (const f of files) await crypto.subtle.digest('SHA-256', await (await fetch(`/models/${id}/${f}`)).arrayBuffer())
        best.fetched = Math.min(best.fetched, performance.now() - t)
      }
      return best
    },
    { id, manifest, files },
  )
}

/**
 * Runs `rounds` rounds over `models` (id → manifest) and folds them best-of (least disturbed by
 * other load on a shared machine). `pageUrl` serves the test page, `modelsDir` is Node's folder.
 */
export async function measurePageLoads(
  pageUrl: string,
  profileDir: string,
  modelsDir: string,
  models: Record<string, ModelIntegrity>,
  rounds: number,
  log: (...a: unknown[]) => void,
  variant: PageLoadVariant = {},
): Promise<Record<string, PageLoadFigures>> {
  const context = await launchChromiumProfile(join(profileDir, 'profile'), { webgpu: false, extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${pageUrl}`] })
  const out: Record<string, PageLoadFigures> = {}
  try {
    const page = await context.newPage()
    await page.addInitScript({ content: 'globalThis.__name = (f) => f' }) // tsx keepNames helper
    await page.goto(`${pageUrl}/`)
    await page.waitForFunction(() => window.webtensorReady === true)
    for (const [id, manifest] of Object.entries(models)) {
      const node: number[] = []
      const cold: number[] = []
      const warm: number[] = []
      const coldFiles: number[] = []
      const warmFiles: number[] = []
      let trusted = ''
      const warmPhases: (LoadTimings | undefined)[] = []
      const coldPhases: (LoadTimings | undefined)[] = []
      let read: string[] = []
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < 2; i++) {
          const t = performance.now()
          const m = await loadModel({ modelId: id, localModelPath: modelsDir, integrity: manifest, ...(variant.dtype ? { dtype: variant.dtype } : {}) })
          if (i === 1) node.push(performance.now() - t)
          await m.dispose()
        }
        const c = await pageLoad(page, id, manifest, true, variant)
        cold.push(c.ms)
        coldPhases.push(c.timings)
        coldFiles.push(c.filesMs)
        const w = await pageLoad(page, id, manifest, false, variant)
        warm.push(w.ms)
        warmPhases.push(w.timings)
        warmFiles.push(w.filesMs)
        const last = new Map(w.progress.filter((p) => p.file).map((p) => [p.file, p]))
        read = [...last.keys()]
        trusted = `${[...last.values()].filter((p) => p.cached === 'trusted').length}/${last.size}`
        log(`page load ${id} round ${r}: node warm ${round(node.at(-1)!)} ms, page cold ${round(c.ms)} ms (files ${round(c.filesMs)}), page warm ${round(w.ms)} ms (files ${round(w.filesMs)}, ${trusted} files on their records)`)
        log(`  phases cold ${phases(c.timings)}`)
        log(`  phases warm ${phases(w.timings)}`)
      }
      const hashMs = await pageHash(page, id, read)
      const reads = await fileRead(page, id, manifest, read)
      const best = (xs: number[]) => Math.min(...xs)
      out[id] = {
        node_warm_load_ms: round(best(node)),
        page_cold_load_ms: round(best(cold)),
        page_warm_load_ms: round(best(warm)),
        page_cold_files_ms: round(best(coldFiles)),
        page_warm_files_ms: round(best(warmFiles)),
        page_warm_files_trusted: trusted,
        page_hash_all_ms: round(hashMs),
        files_opfs_trusted_ms: round(reads.trusted),
        files_opfs_rehashed_ms: round(reads.rehashed),
        files_fetched_hashed_ms: round(reads.fetched),
        page_warm_phases_ms: roundPhases(warmPhases[warm.indexOf(best(warm))]),
        page_cold_phases_ms: roundPhases(coldPhases[cold.indexOf(best(cold))]),
        ratio_page_warm_over_node_warm: round(best(warm) / best(node), 2),
        ratio_page_cold_over_page_warm: round(best(cold) / best(warm), 2),
        ratio_page_cold_over_node_warm: round(best(cold) / best(node), 2),
      }
    }
  } finally {
    await context.close()
  }
  return out
}
