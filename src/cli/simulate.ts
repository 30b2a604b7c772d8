import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { BUILTIN_SCENARIOS, JOIN_TOKEN_ENV, ScenarioError, ShardError, buildReport, parseScenario, parseShard, runMath, type MathProgress, type Shard } from '../simulate/index.ts'
import { ManifestError, parseManifest } from '../subnet/manifest.ts'
import { DEFAULT_MANIFEST, DEFAULT_MODELS_DIR, PACKAGE_ROOT } from './paths.ts'
import type { YumaIo } from './yuma.ts'

/** Where the built-in scenarios live. */
export const SCENARIOS_DIR = join(PACKAGE_ROOT, 'subnets', 'scenarios')

const USAGE = `Usage: webtensor simulate SCENARIO [--out DIR] [--epochs N] [--mode math|exact] [--exact] [--json]
       webtensor simulate SCENARIO --exact --serve [--shard i/k] [--host H] [--port N] [--join-port N]
       webtensor simulate SCENARIO --exact --join URL --shard i/k [--token-file PATH] [--host H]

Runs a subnet scenario — a cast of honest and adversarial miners and validators, faults on a
timeline, Yuma variants — and checks its expectations (docs/simulate.md). Writes report.json and
a self-contained report.html (plots of incentive, dividends, validator trust, uids, peers).

  SCENARIO   a scenario JSON file, or a built-in: ${BUILTIN_SCENARIOS.join(', ')}

Options:
  --out DIR         where to write the report (default ./simulate-report/<name>)
  --epochs N        run N epochs instead of the scenario's
  --mode math|exact override the scenario's mode (math: simulated scores and fast Yuma;
                    exact: a real relay, owner and Node peers on this machine, and
                    tabs of the web app in headless Chromium for cast groups with "in": "tab")
  --exact           the same as --mode exact
  --json            print the verdicts as one JSON object

Spreading exact mode over processes or machines (docs/simulate.md):
  --serve           be the coordinator: relay, web server, owner, the join endpoint, this
                    process's shard of the cast, and the report; prints the workers' command
  --join URL        be a worker: run shard i/k of the cast for the coordinator at URL (its join
                    endpoint); the token from ${'$'}{JOIN_TOKEN_ENV} or --token-file
  --shard i/k       the shard this process runs: cast peers i, i + k, i + 2k, … (--serve: default
                    0/1, the whole cast; with 0/k it waits for shards 1…k-1 to join)
  --host H          address the relay, servers and peers listen on (default 127.0.0.1)
  --port N          the web server's port (--serve; default 0, any free one)
  --join-port N     the join endpoint's port (--serve; default 0, any free one)
  --token-file PATH the join token (--join; --serve writes it to <out>/join-token)
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
      const online = p.online === undefined ? '' : `, ${p.online.peers} peers online${p.online.tabsTotal > 0 ? ` (${p.online.tabs}/${p.online.tabsTotal} tabs)` : ''}`
      const line = `simulate ${name}: ${p.runs > 1 ? `run ${p.runIndex + 1}/${p.runs} (${p.run}), ` : ''}epoch ${p.epoch}/${p.epochs}, ${p.uids} uids${online}`
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

/** What `--serve` or `--join` ask for, checked; a string is the usage error. */
async function spreadOptions(
  values: { serve?: boolean; join?: string; shard?: string; host?: string; port?: string; 'join-port'?: string; 'token-file'?: string },
  name: string,
): Promise<string | { serve?: { shard: Shard; host?: string; port: number; joinPort: number; token?: string }; join?: { url: string; shard: Shard; token: string; host?: string } }> {
  const port = (flag: string, v: string | undefined): number | string => {
    const n = Number(v ?? '0')
    return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : `${flag} must be 0..65535, got ${v}`
  }
  let shard: Shard | undefined
  if (values.shard !== undefined) {
    try {
      shard = parseShard(values.shard)
    } catch (err) {
      return (err as Error).message
    }
  }
  const host = values.host === undefined ? {} : { host: values.host }
  if (values.serve === true && values.join !== undefined) return '--serve and --join exclude each other: one process coordinates, the others join'
  if (values.serve === true) {
    if (values['token-file'] !== undefined) return `--token-file is for --join (the coordinator writes its token to <out>/join-token)`
    const p = port('--port', values.port)
    const jp = port('--join-port', values['join-port'])
    if (typeof p === 'string') return p
    if (typeof jp === 'string') return jp
    const env = process.env[JOIN_TOKEN_ENV]
    if (env !== undefined && env.length < 16) return `${JOIN_TOKEN_ENV} must be at least 16 characters`
    return { serve: { shard: shard ?? { index: 0, count: 1 }, ...host, port: p, joinPort: jp, ...(env === undefined ? {} : { token: env }) } }
  }
  if (values.join !== undefined) {
    if (shard === undefined) return '--join needs --shard i/k (the coordinator printed the command)'
    if (values.port !== undefined || values['join-port'] !== undefined) return '--port and --join-port are for --serve'
    let url: URL
    try {
      url = new URL(values.join)
    } catch {
      return `--join must be the coordinator's http(s) URL, got ${values.join}`
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `--join must be an http(s) URL, got ${values.join}`
    let token = process.env[JOIN_TOKEN_ENV]
    if (values['token-file'] !== undefined) {
      try {
        token = (await readFile(values['token-file'], 'utf8')).trim()
      } catch (err) {
        return `--token-file: ${(err as Error).message}`
      }
    }
    if (token === undefined || token.length === 0) return `--join needs the coordinator's join token: set ${JOIN_TOKEN_ENV} or pass --token-file (the coordinator wrote it to <out>/join-token; simulate ${name})`
    return { join: { url: url.href, shard, token, ...host } }
  }
  for (const flag of ['shard', 'host', 'port', 'join-port', 'token-file'] as const) if (values[flag] !== undefined) return `--${flag} applies to --serve or --join only`
  return {}
}

const fmt = (x: number | null): string => (x === null ? '—' : Math.abs(x) >= 0.001 || x === 0 ? x.toFixed(4) : x.toExponential(2))

/**
 * `webtensor simulate …`: argv is what follows `simulate`. Resolves to the exit code: 0 all
 * expectations hold, 1 one fails, 2 a bad scenario or usage.
 * @example await simulateCommand(['cheaters', '--out', '/tmp/r'], { stdin, stdout, stderr })
 */
export async function simulateCommand(argv: string[], io: YumaIo): Promise<number> {
  let values: { out?: string; epochs?: string; mode?: string; exact?: boolean; json?: boolean; help?: boolean; serve?: boolean; join?: string; shard?: string; host?: string; port?: string; 'join-port'?: string; 'token-file'?: string }
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        epochs: { type: 'string' },
        mode: { type: 'string' },
        exact: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        serve: { type: 'boolean', default: false },
        join: { type: 'string' },
        shard: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'join-port': { type: 'string' },
        'token-file': { type: 'string' },
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
    if (values.exact === true || values.serve === true || values.join !== undefined) {
      if (values.mode === 'math') return fail('--exact, --serve and --join run exact mode: drop --mode math')
      o.mode = 'exact'
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
  const spread = await spreadOptions(values, scenario.name)
  if (typeof spread === 'string') return fail(spread)
  if (spread.join !== undefined) {
    const { runJoin } = await import('./simulate-join.ts')
    const { exactModeGaps } = await import('./simulate-exact.ts')
    const gaps = exactModeGaps(scenario, spread.join.shard)
    if (gaps.length > 0) return fail(`exact mode cannot run ${gaps.join(', ')} yet; run this scenario with --mode math (docs/simulate.md)`)
    try {
      const { peers } = await runJoin(scenario, { ...spread.join, modelsDir: DEFAULT_MODELS_DIR, onStatus: (line) => io.stderr.write(`${line}\n`) })
      io.stdout.write(`${scenario.name}: shard ${spread.join.shard.index}/${spread.join.shard.count} ran ${peers} peers; the coordinator writes the report\n`)
      return 0
    } catch (err) {
      if (err instanceof ShardError) return fail(err.message)
      throw err
    }
  }
  const progress = progressWriter(io.stderr, scenario.name)
  let result
  if (scenario.mode === 'exact') {
    // One coordinator for every exact run: the whole cast here (shard 0/1), or --serve with workers.
    const { exactModeGaps, runExact } = await import('./simulate-exact.ts')
    const gaps = exactModeGaps(scenario, spread.serve?.shard)
    if (gaps.length > 0) return fail(`exact mode cannot run ${gaps.join(', ')} yet; run this scenario with --mode math (docs/simulate.md)`)
    const out = resolve(values.out ?? join('simulate-report', scenario.name))
    await mkdir(out, { recursive: true })
    const serve = spread.serve === undefined ? {} : { ...spread.serve, serve: true, tokenFile: join(out, 'join-token') }
    const workerArgs = [positionals[0]!, ...(values.epochs === undefined ? [] : ['--epochs', values.epochs])].map((a) => (/^[\w./:@+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')
    try {
      result = await runExact(scenario, { ...serve, workerArgs, modelsDir: DEFAULT_MODELS_DIR, onEpoch: (p) => progress.update(p), onStatus: (line) => io.stderr.write(`${line}\n`) })
    } catch (err) {
      const { TabsUnavailableError } = await import('./simulate-tabs.ts')
      if (err instanceof TabsUnavailableError) return fail(err.message)
      throw err
    }
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
