/**
 * PoW bench (`npm run bench:pow`, ~15 s): seal hashes per second in Node — the search kernel alone
 * (`createSealSearch`), the plain reference `sealHash` (@noble/hashes, allocating), and the inline
 * solver as `registerByPow` runs it (chunks with a `setTimeout(0)` between them), with the worst
 * event-loop delay a 10 ms timer saw meanwhile. The last line is JSON.
 */
import { cpus, loadavg } from 'node:os'
import { createInlineSolver } from '../../src/chain/pow-solver.ts'
import { createSealSearch, sealHash } from '../../src/chain/seal.ts'

const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d
const block = new Uint8Array(32).fill(0x11)
const key = new Uint8Array(32).fill(0x22)
const loadAtStart = loadavg()[0]

/** Runs `step` (which returns tries done) for `ms`; tries per second. */
function rate(ms: number, step: () => number): number {
  const start = performance.now()
  let tries = 0
  while (performance.now() - start < ms) tries += step()
  return tries / ((performance.now() - start) / 1000)
}

// An unreachable difficulty, so every try runs the whole kernel and nothing returns early.
const search = createSealSearch({ blockHash: block, hotkeyPublicKey: key, difficulty: 1n << 200n })
let nonce = 0n
rate(500, () => { search(nonce, 10_000); nonce += 10_000n; return 10_000 }) // warm-up
const kernel = rate(4000, () => { search(nonce, 10_000); nonce += 10_000n; return 10_000 })
console.log(`kernel (createSealSearch): ${round(kernel)} hashes/s`)

let n = 0n
const reference = rate(2000, () => { for (let i = 0; i < 1000; i++) sealHash(block, n++, key); return 1000 })
console.log(`reference sealHash (@noble/hashes): ${round(reference)} hashes/s (kernel ×${round(kernel / reference, 1)})`)

let lastTick = performance.now()
let worstLag = 0
const ticker = setInterval(() => {
  const t = performance.now()
  worstLag = Math.max(worstLag, t - lastTick - 10)
  lastTick = t
}, 10)
let solverRate = 0
await createInlineSolver()({ blockHash: block, hotkeyPublicKey: key, difficulty: 1n << 200n }, {
  signal: AbortSignal.timeout(5000),
  onProgress: (p) => { solverRate = p.hashesPerSecond },
})
clearInterval(ticker)
console.log(`inline solver (16 ms chunks, setTimeout 0 between): ${round(solverRate)} hashes/s; worst 10 ms timer delay ${round(worstLag, 1)} ms`)
console.log(`difficulty 10^6 ≈ ${round(1e6 / solverRate, 1)} s per seal on one core on average`)
console.log(JSON.stringify({
  bench: 'pow', cores: cpus().length, node: process.version,
  load_average_1m: { start: round(loadAtStart, 2), end: round(loadavg()[0], 2) },
  kernel_hashes_per_s: round(kernel), reference_hashes_per_s: round(reference),
  inline_solver_hashes_per_s: round(solverRate), worst_timer_delay_ms: round(worstLag, 1),
}))
