import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

const SHIM = fileURLToPath(new URL('./src/widget/cross-origin-worker.ts', import.meta.url))

/**
 * In the widget's bundle every `new Worker(…)` of our code becomes `new CrossOriginWorker(…)`: the
 * page that runs it is another site's, and a page cannot start a worker from another origin's URL
 * (see src/widget/cross-origin-worker.ts). Runs after Vite has turned `new Worker(new URL(…))` into
 * the built worker's URL.
 */
function crossOriginWorkers(): Plugin {
  return {
    name: 'webtensor:cross-origin-workers',
    enforce: 'post',
    transform(code, id) {
      if (id === SHIM || id.includes('/node_modules/') || !/\bnew Worker\(/.test(code)) return null
      return { code: `import { CrossOriginWorker as __WebtensorWorker } from ${JSON.stringify(SHIM)};\n${code.replace(/\bnew Worker\(/g, 'new __WebtensorWorker(')}`, map: null }
    },
  }
}

// The miner widget: one ES module, dist/widget.js (the element: what a host page loads up front),
// and under dist/widget/ what it loads only after the click (the session's chunk, the workers). Not
// Vite's library mode, which would inline every asset (onnxruntime's wasm) as base64 into the
// workers. No module-preload links: the widget adds nothing to the host's <head>.
// Built after the app (whose build empties dist/), by src/cli/build-app.ts.
export default defineConfig({
  root: '.',
  base: './',
  publicDir: false,
  plugins: [crossOriginWorkers()],
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    chunkSizeWarningLimit: 8192,
    copyPublicDir: false,
    modulePreload: false,
    rollupOptions: {
      input: { widget: 'src/widget/index.ts' },
      preserveEntrySignatures: 'exports-only',
      output: { format: 'es', entryFileNames: 'widget.js', chunkFileNames: 'widget/[name]-[hash].js', assetFileNames: 'widget/[name]-[hash][extname]' },
    },
  },
  worker: {
    format: 'es',
    plugins: () => [crossOriginWorkers()],
    rollupOptions: { output: { entryFileNames: 'widget/[name]-[hash].js', chunkFileNames: 'widget/[name]-[hash].js', assetFileNames: 'widget/[name]-[hash][extname]' } },
  },
})
