import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { BUILTIN_SCENARIOS, ScenarioError, buildReport, parseScenario, runMath, type MathProgress } from '../simulate/index.ts'
import { ManifestError, parseManifest } from '../subnet/manifest.ts'
import { DEFAULT_MANIFEST, DEFAULT_MODELS_DIR, PACKAGE_ROOT } from './paths.ts'
import type { YumaIo } from './yuma.ts'

/** Where the built-in scenarios live. */
export const SCENARIOS_DIR = join(PACKAGE_ROOT, 'subnets', 'scenarios')

const USAGE = `Usage: webtensor simulate SCENARIO [--out DIR] [--epochs N] [--mode math|exact] [--json]

Runs a subnet scenario — a cast of honest and adversarial miners and validators, faults on a
timeline, Yuma variants — and checks its expectations (docs/simulate.md). Writes report.json and
a self-contained report.html (plots of incentive, dividends, validator trust, uids, peers).

  SCENARIO   a scenario JSON file, or a built-in: ${BUILTIN_SCENARIOS.join(', ')}

Options:
  --out DIR         where to write the report (default ./simulate-report/<name>)
  --epochs N        run N epochs instead of the scenario's
  --mode math|exact override the scenario's mode (math: simulated scores and fast Yuma;
                    exact: a real relay, owner and Node peers on this machine)
  --json            print the verdicts as one JSON object
  -h, --help        this text

Exit codes: 0 every expectation holds, 1 one fails (named, with its measured value), 2 a bad
scenario or bad usage.
`

/** Reads the scenario's JSON from a file, or a built-in by name. */
async function readScenario(source: string): Promise<{ json: unknown; from: string }> {
  let path = source
  if (!existsSync(source) && (BUILTIN_SCENARIOS as readonly string[]).includes(source)) path = join(SCENARIOS_DIR, `${source}.json`)
  else if (!existsSync(source)) throw new Error(`no file ${source}, and no built-in scenario of that name (${BUILTIN_SCENARIOS.join(', ')})`)
  const text = await readFile(path, 'utf8')
  try {
    return { json: JSON.parse(text) as unknown, from: path }
  } catch (err) {
    throw new Error(`${path} is not JSON: ${(err as Error).message}`)
  }
}

/** A progress line: rewritten in place on a terminal, a line every tenth of a run otherwise. */
function progressWriter(stream: NodeJS.WritableStream, name: string): { update(p: MathProgress): void; done(): void } {
  const tty = (stream as { isTTY?: boolean }).isTTY === true
  let last = 0
  let shown = false
  return {
    update(p) {
      const line = `simulate ${name}: ${p.runs > 1 ? `run ${p.runIndex + 1}/${p.runs} (${p.run}), ` : ''}epoch ${p.epoch}/${p.epochs}, ${p.uids} uids`
      if (tty) {
        const t = Date.now()
        if (t - last < 100 && p.epoch !== p.epochs) return
        last = t
        stream.write(`\r${line}\x1b[K`)
        shown = true
      } else if (p.epoch === p.epochs || p.epoch % Math.max(1, Math.ceil(p.epochs / 10)) === 0) stream.write(`${line}\n`)
    },
    done() {
      if (tty && shown) stream.write('\n')
    },
  }
}

const fmt = (x: number | null): string => (x === null ? '—' : Math.abs(x) >= 0.001 || x === 0 ? x.toFixed(4) : x.toExponential(2))

/**
 * `webtensor simulate …`: argv is what follows `simulate`. Resolves to the exit code: 0 all
 * expectations hold, 1 one fails, 2 a bad scenario or usage.
 * @example await simulateCommand(['cheaters', '--out', '/tmp/r'], { stdin, stdout, stderr })
 */
export async function simulateCommand(argv: string[], io: YumaIo): Promise<number> {
  let values: { out?: string; epochs?: string; mode?: string; json?: boolean; help?: boolean }
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        epochs: { type: 'string' },
        mode: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    }))
  } catch (err) {
    io.stderr.write(`webtensor simulate: ${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (values.help === true) {
    io.stdout.write(USAGE)
    return 0
  }
  if (positionals.length !== 1) {
    io.stderr.write(`webtensor simulate: give one scenario file or built-in name\n\n${USAGE}`)
    return 2
  }
  const fail = (message: string): number => {
    io.stderr.write(`webtensor simulate: ${message}\n`)
    return 2
  }
  let json: unknown
  try {
    ;({ json } = await readScenario(positionals[0]!))
  } catch (err) {
    return fail((err as Error).message)
  }
  // Flags override the file before it is checked, so the checks (fault epochs, windows) see them.
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const o = { ...(json as Record<string, unknown>) }
    if (values.epochs !== undefined) {
      const n = Number(values.epochs)
      if (!Number.isInteger(n) || n < 1) return fail(`--epochs must be a positive integer, got ${values.epochs}`)
      o.epochs = n
    }
    if (values.mode !== undefined) {
      if (values.mode !== 'math' && values.mode !== 'exact') return fail(`--mode must be math or exact, got ${values.mode}`)
      o.mode = values.mode
    }
    json = o
  }
  let scenario
  try {
    const base = parseManifest(JSON.parse(await readFile(DEFAULT_MANIFEST, 'utf8')))
    scenario = parseScenario(json, base)
  } catch (err) {
    if (err instanceof ScenarioError || err instanceof ManifestError) return fail(err.message)
    throw err
  }
  const progress = progressWriter(io.stderr, scenario.name)
  let result
  if (scenario.mode === 'exact') {
    const { exactModeGaps, runExact } = await import('./simulate-exact.ts')
    const gaps = exactModeGaps(scenario)
    if (gaps.length > 0) return fail(`exact mode cannot run ${gaps.join(', ')} yet; run this scenario with --mode math (docs/simulate.md)`)
    result = await runExact(scenario, { modelsDir: DEFAULT_MODELS_DIR, onEpoch: (p) => progress.update(p), onStatus: (line) => io.stderr.write(`${line}\n`) })
  } else {
    result = runMath(scenario, { onEpoch: (p) => progress.update(p) })
  }
  progress.done()
  const { json: report, html } = buildReport(result)
  const out = resolve(values.out ?? join('simulate-report', scenario.name))
  await mkdir(out, { recursive: true })
  const jsonPath = join(out, 'report.json')
  const htmlPath = join(out, 'report.html')
  await writeFile(jsonPath, `${JSON.stringify(report)}\n`)
  await writeFile(htmlPath, html)
  const rssMb = Math.round(process.resourceUsage().maxRSS / 1024)

  if (values.json === true) {
    io.stdout.write(`${JSON.stringify({ name: report.name, mode: report.mode, passed: report.passed, expectations: report.expectations, resources: { ...report.resources, peakRssMb: rssMb }, report: { json: jsonPath, html: htmlPath } })}\n`)
  } else {
    const uids = Math.max(...result.runs.map((r) => Object.values(r.series.uids).reduce((s, xs) => s + (xs[xs.length - 1] ?? 0), 0)))
    io.stdout.write(`${scenario.name} (${scenario.mode} mode): ${result.runs.length} run(s) × ${scenario.epochs} epochs, ${uids} uids at the end, ${(report.resources.wallMs / 1000).toFixed(2)} s (${report.resources.epochsPerSecond.toFixed(1)} epochs/s), peak RSS ${rssMb} MB\n`)
    for (const e of report.expectations) {
      const tag = e.status === 'pass' ? 'PASS' : e.status === 'fail' ? 'FAIL' : 'SKIP'
      const run = result.runs.length > 1 ? `[${e.run}] ` : ''
      io.stdout.write(`${tag} ${run}expectations[${e.index}] ${e.description}: measured ${fmt(e.measured)}${e.threshold === null ? '' : ` (against ${fmt(e.threshold)})`} — ${e.detail}\n`)
    }
    if (report.expectations.length === 0) io.stdout.write('no expectations in this scenario\n')
    io.stdout.write(`${report.passed ? 'all expectations hold' : `${report.expectations.filter((e) => e.status === 'fail').length} expectation(s) failed`}\nreport: ${htmlPath}\n`)
  }
  return report.passed ? 0 : 1
}
