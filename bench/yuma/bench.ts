// Prints Yuma epoch timings (exact and fast) for the sizes. Run: node --import tsx bench/yuma/bench.ts
// Figures only; nothing here is asserted.
import { runEpoch, type EpochInput } from '../../src/scoring/index.ts'
import { syntheticEpochInput } from '../../src/scoring/yuma/synthetic.ts'

export interface Case {
  name: string
  input: EpochInput
}

export function benchCases(): Case[] {
  return [
    { name: 'n=256, 128 validators, dense', input: syntheticEpochInput({ n: 256, validators: 128, weightsPerRow: 256, withBonds: true, seed: 1 }) },
    { name: 'n=1024, 128 validators, 64 weights/row', input: syntheticEpochInput({ n: 1024, validators: 128, weightsPerRow: 64, withBonds: true, seed: 2 }) },
    { name: 'n=4096, 128 validators, 64 weights/row', input: syntheticEpochInput({ n: 4096, validators: 128, weightsPerRow: 64, withBonds: true, seed: 3 }) },
    { name: 'n=4096, 4096 validators, 64 weights/row', input: syntheticEpochInput({ n: 4096, validators: 4096, weightsPerRow: 64, withBonds: true, seed: 4 }) },
    { name: 'n=256 dense, Yuma3 + liquid alpha', input: syntheticEpochInput({ n: 256, validators: 128, weightsPerRow: 256, withBonds: true, seed: 5, hyperparams: { yuma3: true, liquid_alpha: true } }) },
  ]
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * Wall-clock times of `runs` calls after `warmup` untimed ones: the median, and the minimum (the
 * figure least disturbed by other load on a shared machine), plus the median CPU time (user +
 * system, which counts parallel GC threads too), all in ms.
 */
export function time(fn: () => void, runs: number, warmup = 2): { wall: number; min: number; cpu: number } {
  for (let i = 0; i < warmup; i++) fn()
  const wall: number[] = []
  const cpu: number[] = []
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    fn()
    wall.push(performance.now() - t0)
    const c = process.cpuUsage(c0)
    cpu.push((c.user + c.system) / 1000)
  }
  return { wall: median(wall), min: Math.min(...wall), cpu: median(cpu) }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { cpus, loadavg } = await import('node:os')
  console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}; load average ${loadavg()[0].toFixed(1)}`)
  console.log('per epoch, after warm-up: median wall ms / min wall ms / median CPU ms')
  const fmt = (t: { wall: number; min: number; cpu: number }) => `${t.wall.toFixed(1).padStart(7)} /${t.min.toFixed(1).padStart(7)} /${t.cpu.toFixed(1).padStart(7)}`
  for (const c of benchCases()) {
    const runs = c.input.n >= 4096 ? 7 : 21
    const exact = time(() => runEpoch(c.input, { mode: 'exact' }), runs)
    const fast = time(() => runEpoch(c.input, { mode: 'fast' }), runs)
    console.log(`${c.name.padEnd(42)} exact ${fmt(exact)}   fast ${fmt(fast)}`)
  }
}
