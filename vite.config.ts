import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const root = fileURLToPath(new URL('.', import.meta.url))

// The app is a plain ES-module page; workers (model runner, Yuma) are ES modules too so they can
// import comlink and code-split.
export default defineConfig({
  root: '.',
  publicDir: 'public',
  build: {
    outDir: 'dist',
    // src/cli/build-app.ts empties dist/ itself, keeping dist/lib (the library build).
    emptyOutDir: false,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    // Three pages: the miner (index.html), the subnet dashboard (dashboard.html), the device check (device.html).
    rollupOptions: { input: { main: resolve(root, 'index.html'), dashboard: resolve(root, 'dashboard.html'), device: resolve(root, 'device.html') } },
  },
  worker: { format: 'es' },
  server: {
    headers: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    },
  },
})
