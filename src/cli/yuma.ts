import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { epochDigest, runEpoch, runEpochSequence, YumaInputError, type EpochInput, type EpochMode, type EpochSequence } from '../scoring/index.ts'

const USAGE = `Usage: webtensor yuma run [--mode exact|fast] [--digest] [FILE|-]

Runs subtensor's Yuma Consensus epoch on JSON input (docs/yuma-format.md) and prints the output
as JSON: one output object for an epoch, an array for a sequence { "initial": …, "steps": [ … ] }.
Reads stdin when FILE is - or absent.

Options:
  --mode exact|fast  exact = the chain's fixed point, bit for bit (default); fast = float64
  --digest           print the sha256 digest of each output instead of the output
  -h, --help         this text
`

/** Where the command reads and writes, so tests and embedders can pass their own streams. */
export interface YumaIo {
  stdin: NodeJS.ReadableStream
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

/** Rao amounts may arrive as bigints from library callers; JSON needs strings. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
}

/**
 * `webtensor yuma …`: argv is what follows `yuma`. Resolves to the exit code: 0 ok, 2 bad usage
 * or bad input (the error names the field).
 *
 * @example await yumaCommand(['run', '--mode', 'fast', 'epoch.json'], { stdin, stdout, stderr })
 */
export async function yumaCommand(argv: string[], io: YumaIo): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    io.stdout.write(USAGE)
    return sub === undefined ? 2 : 0
  }
  if (sub !== 'run') {
    io.stderr.write(`webtensor yuma: unknown subcommand ${JSON.stringify(sub)}\n\n${USAGE}`)
    return 2
  }
  let values: { mode?: string; digest?: boolean; help?: boolean }
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: rest,
      options: { mode: { type: 'string', default: 'exact' }, digest: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      allowPositionals: true,
      strict: true,
    }))
  } catch (err) {
    io.stderr.write(`webtensor yuma run: ${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (values.help) {
    io.stdout.write(USAGE)
    return 0
  }
  if (values.mode !== 'exact' && values.mode !== 'fast') {
    io.stderr.write(`webtensor yuma run: --mode must be exact or fast, got ${JSON.stringify(values.mode)}\n`)
    return 2
  }
  if (positionals.length > 1) {
    io.stderr.write(`webtensor yuma run: expected at most one FILE, got ${positionals.length}\n`)
    return 2
  }
  const mode = values.mode as EpochMode
  const file = positionals[0] ?? '-'
  let text: string
  try {
    text = file === '-' ? await readAll(io.stdin) : await readFile(file, 'utf8')
  } catch (err) {
    io.stderr.write(`webtensor yuma run: cannot read ${file}: ${(err as Error).message}\n`)
    return 2
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    io.stderr.write(`webtensor yuma run: ${file} is not JSON: ${(err as Error).message}\n`)
    return 2
  }
  try {
    const isSequence = typeof json === 'object' && json !== null && 'initial' in json && 'steps' in json
    if (isSequence) {
      const outputs = runEpochSequence(json as EpochSequence, { mode })
      io.stdout.write(values.digest ? outputs.map(epochDigest).join('\n') + '\n' : toJson(outputs) + '\n')
    } else {
      const output = runEpoch(json as EpochInput, { mode })
      io.stdout.write(values.digest ? epochDigest(output) + '\n' : toJson(output) + '\n')
    }
    return 0
  } catch (err) {
    if (err instanceof YumaInputError) {
      io.stderr.write(`webtensor yuma run: bad input: ${err.message}\n`)
      return 2
    }
    throw err
  }
}
