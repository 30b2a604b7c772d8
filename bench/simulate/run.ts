/**
 * Math-mode simulation bench (`npm run bench:simulate`, ~1 min): epochs per second of `runMath`
 * (simulated miners and validators, fast Yuma) at n = 256 and n = 4096 uids, validators setting
 * dense weight rows as real ones do. One warm-up run per size first. The last line is JSON.
 */
import { cpus, loadavg } from 'node:os'
import { readFileSync } from 'node:fs'
import { parseManifest } from '../../src/subnet/manifest.ts'
import { parseScenario, runMath } from '../../src/simulate/index.ts'

const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d
const base = parseManifest(JSON.parse(readFileSync(new URL('../../subnets/default.json', import.meta.url), 'utf8')))
const loadAtStart = loadavg()[0]

/** A subnet of `n` uids: `validators` of them validators (one random, one copier), the rest miners with every miner adversary. */
function scenario(n: number, validators: number, epochs: number) {
  const cheaters = ['answer-table', 'copier', 'different-model', 'invented-logprobs', 'slow', 'flaky', 'churn'].map((behaviour) => ({ behaviour, count: Math.max(1, Math.floor(n / 64)) }))
  const miners = n - 1 - validators - cheaters.reduce((s, g) => s + g.count, 0)
  return parseScenario({
    name: `bench-${n}`,
    epochs,
    manifest: { chain: { maxAllowedUids: n } },
    cast: [
      { behaviour: 'honest-validator', count: validators - 2 },
      { behaviour: 'random-weights', count: 1 },
      { behaviour: 'weight-copier', count: 1 },
      { behaviour: 'honest-miner', count: miners },
      ...cheaters,
    ],
  }, base)
}

const results: Record<string, unknown>[] = []
for (const [n, validators, epochs] of [[256, 32, 300], [4096, 64, 12]] as const) {
  runMath(scenario(n, validators, Math.max(3, Math.floor(epochs / 10)))) // warm-up
  const start = performance.now()
  runMath(scenario(n, validators, epochs))
  const s = (performance.now() - start) / 1000
  const perSecond = epochs / s
  console.log(`n=${n} (${validators} validators, dense rows): ${epochs} epochs in ${round(s, 2)} s = ${round(perSecond, 1)} epochs/s (${round((1000 * s) / epochs, 1)} ms/epoch)`)
  results.push({ n, validators, epochs, seconds: round(s, 3), epochs_per_s: round(perSecond, 2) })
}
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024)
console.log(`peak RSS ${peakRssMb} MB`)
console.log(JSON.stringify({ bench: 'simulate-math', cores: cpus().length, node: process.version, load_average_1m: { start: round(loadAtStart, 2), end: round(loadavg()[0], 2) }, peak_rss_mb: peakRssMb, results }))
