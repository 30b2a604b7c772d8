import { readFile } from 'node:fs/promises'
import { LogError, LogReplay, parseLogLines, type LocalEpochInput, type LogEntry } from '../chain/index.ts'
import { runEpoch, type EpochInput, type EpochOutput } from '../scoring/index.ts'
import { parseCommandArgs, usageError } from './args.ts'
import type { YumaIo } from './yuma.ts'

const USAGE = `Usage: webtensor verify LOG|URL [--owner SS58] [--json]
       webtensor verify --chain ws://… --netuid N [--block B] [--json]   (a subtensor epoch: verify --chain --help)

Re-derives every epoch of a local subnet from its signed chain log: checks each entry's hash
chain and owner signature, each call's author signature and result, and re-runs exact Yuma for
each epoch, comparing its input and result digests with the logged ones. Names the first entry
that does not follow.

  LOG    a log file (log.jsonl in the owner's state folder, e.g. ~/.webtensor/chain/log.jsonl)
  URL    a webtensor server (http://host:port) or the log's own URL (…/chain/log.jsonl)

Options:
  --owner SS58   refuse a log whose genesis names another subnet owner
  --json         print the result as one JSON object
  -h, --help     this text

Exit codes: 0 verified, 1 tampered (an entry does not follow), 2 unreadable or bad usage.
`

/** Where a server serves its chain log. */
export const LOG_PATH = '/chain/log.jsonl'

const exactEpoch = (input: LocalEpochInput): EpochOutput => runEpoch(input as EpochInput, { mode: 'exact' })

/** The log's text from a file, a server root or the log's URL. */
async function readLog(source: string): Promise<string> {
  if (/^https?:\/\//.test(source)) {
    const url = new URL(source)
    if (url.pathname === '/' || url.pathname === '') url.pathname = LOG_PATH
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) })
    if (!res.ok) throw new LogError(`${url.href} answered ${res.status}`, { code: 'unreadable' })
    return res.text()
  }
  return readFile(source, 'utf8')
}

/**
 * `webtensor verify …`: argv is what follows `verify`. Resolves to the exit code.
 * @example await verifyCommand(["~/.webtensor/chain/log.jsonl"], { stdin, stdout, stderr })
 */
export async function verifyCommand(argv: string[], io: YumaIo): Promise<number> {
  // `verify --chain ws://…` re-derives a subtensor epoch instead (./verify-chain.ts).
  if (argv.some((a) => a === '--chain' || a.startsWith('--chain='))) {
    const { verifyChainCommand } = await import('./verify-chain.ts')
    return verifyChainCommand(argv, io)
  }
  const args = parseCommandArgs('verify', USAGE, argv, { owner: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } }, io)
  if (args.exit !== undefined) return args.exit
  const { values, positionals } = args
  if (positionals.length !== 1) return usageError('verify', USAGE, 'give one log file or URL', io)
  const source = positionals[0]!
  let entries: LogEntry[]
  try {
    entries = parseLogLines(await readLog(source))
  } catch (err) {
    io.stderr.write(`webtensor verify: cannot read ${source}: ${(err as Error).message}\n`)
    return 2
  }
  if (entries.length === 0) {
    io.stderr.write(`webtensor verify: ${source} holds no entries\n`)
    return 2
  }
  const replay = new LogReplay(exactEpoch, { ...(values.owner === undefined ? {} : { ownerHotkey: values.owner }), keepEpochs: 1 })
  const started = performance.now()
  for (const entry of entries) {
    const r = replay.push(entry)
    if (!r.ok) {
      const d = r.divergence
      if (values.json === true) io.stdout.write(`${JSON.stringify({ verified: false, ...d, entriesChecked: replay.counts.entries })}\n`)
      else io.stdout.write(`TAMPERED at entry ${d.seq} (${d.reason}): ${d.detail}\n${replay.counts.entries} entries before it verified.\n`)
      return 1
    }
  }
  const seconds = (performance.now() - started) / 1000
  const last = replay.epochs.at(-1)
  const summary = {
    verified: true,
    entries: replay.counts.entries,
    epochs: replay.counts.epochs,
    calls: replay.counts.calls,
    refusedCalls: replay.counts.refused,
    registrations: replay.counts.registrations,
    head: replay.head,
    latestEpoch: last === undefined ? null : { epoch: last.epoch, block: last.block, digest: last.digest, inputDigest: last.inputDigest },
    seconds: Number(seconds.toFixed(3)),
  }
  if (values.json === true) io.stdout.write(`${JSON.stringify(summary)}\n`)
  else {
    io.stdout.write(
      `verified ${summary.entries} entries: ${summary.epochs} epochs re-derived with exact Yuma, ${summary.calls} signed calls (${summary.refusedCalls} refused as logged), ${summary.registrations} registrations\n` +
        `head: entry ${summary.head.seq} at block ${summary.head.block}, hash ${summary.head.hash}\n` +
        (last === undefined ? '' : `latest epoch ${last.epoch} (block ${last.block}): result ${last.digest}\n`),
    )
  }
  return 0
}
