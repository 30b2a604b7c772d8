// Figures shared by the p2p benchmarks: percentiles and CPU/memory of a process tree from /proc.
import { readdirSync, readFileSync } from 'node:fs'

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]
}

interface ProcInfo {
  pid: number
  ppid: number
  ticks: number
  rssKb: number
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields after "(comm)": state(0) ppid(1) ... utime(11) stime(12)
    return { pid, ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]), rssKb: 0 }
  } catch {
    return undefined
  }
}

/** All descendants of `root` (not including it). */
export function descendants(root: number): ProcInfo[] {
  const all: ProcInfo[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const p = readProc(Number(name))
    if (p) all.push(p)
  }
  const children = new Map<number, ProcInfo[]>()
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p])
  const out: ProcInfo[] = []
  const stack = [root]
  while (stack.length > 0) {
    for (const c of children.get(stack.pop()!) ?? []) {
      out.push(c)
      stack.push(c.pid)
    }
  }
  return out
}

/** Proportional set size: shared pages split among the processes sharing them, so a sum over Chromium's processes is honest. */
function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

const TICKS_PER_S = 100 // USER_HZ on Linux

/** Measures CPU (fraction of one core) used by `pids` over `ms` milliseconds, and their summed PSS (MB) at the end. */
export async function sampleCpu(pids: () => number[], ms: number): Promise<{ cpuCores: number; rssMb: number }> {
  const ticks = () => {
    let t = 0
    for (const pid of pids()) t += readProc(pid)?.ticks ?? 0
    return t
  }
  const t0 = ticks()
  const w0 = performance.now()
  await new Promise((r) => setTimeout(r, ms))
  const dt = ticks() - t0
  const seconds = (performance.now() - w0) / 1000
  let rssKb = 0
  for (const pid of pids()) rssKb += pssKb(pid)
  return { cpuCores: dt / TICKS_PER_S / seconds, rssMb: rssKb / 1024 }
}

export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
