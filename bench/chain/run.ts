/**
 * Chain log bench (`npm run bench:chain`, ~30 s): builds a real signed log in-process at
 * n = 256 uids (owner + 8 genesis validators + 247 miners registered by PoW at difficulty 1, then
 * 64 epochs in which every validator sets weights over all 256 uids once per tempo; the owner
 * logs as owner-node.ts does), then measures what `webtensor verify` costs on it: epochs
 * re-derived per second with exact Yuma, and where the time goes (Yuma, sr25519 signatures,
 * digests, the rest), against Yuma alone on the same epoch inputs; and the log's size per epoch,
 * raw and gzipped. Ends with `webtensor verify FILE` through the real CLI. The log is kept in
 * the OS temp folder (printed). The last line is JSON.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { decodeCall, digestOf, entryHash, fromHex, LogReplay, logLine, parseLogLines, type LocalEpochInput, type LogEntry } from '../../src/chain/index.ts'
import { sr25519VerifierName, verifyHotkeySignature } from '../../src/p2p/verify.ts'
import { runEpoch, type EpochInput, type EpochOutput } from '../../src/scoring/index.ts'
import { buildChainLog } from '../../test/support/chain-log.ts'

const repo = resolve(fileURLToPath(import.meta.url), '../../..')
const VALIDATORS = 8
const MINERS = 247 // + owner + validators = 256 uids
const EPOCHS = 64
const RUNS = 3
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const kib = (bytes: number) => `${round(bytes / 1024)} KiB`
const loadAtStart = loadavg()[0]
const exact = (input: LocalEpochInput): EpochOutput => runEpoch(input as EpochInput, { mode: 'exact' })

// == Build the log.
let t0 = performance.now()
const built = await buildChainLog({ validators: VALIDATORS, miners: MINERS, epochs: EPOCHS, progress: (l) => console.log(`  ${l}`) }, exact)
const buildMs = performance.now() - t0
const { entries } = built
const text = entries.map(logLine).join('')
const dir = join(tmpdir(), 'webtensor-bench-chain')
mkdirSync(dir, { recursive: true })
const file = join(dir, 'log.jsonl')
writeFileSync(file, text)
const n = built.chain.metagraph().neurons.length
console.log(`log: ${entries.length} entries, ${built.epochs.length} epochs, n = ${n}, built in ${round(buildMs / 1000)} s (hotkeys, PoW, owner's Yuma and signing) → ${file}`)

// == Size: the weights phase (every registration done), per epoch.
const steady = entries.slice(built.weightsFrom)
const steadyEpochs = steady.filter((e) => e.body.type === 'epoch').length
const steadyText = steady.map(logLine).join('')
const bytes = (s: string) => Buffer.byteLength(s)
const weightLines = steady.filter((e) => e.body.type === 'call').map(logLine)
const size = {
  total_bytes: bytes(text),
  total_gzip_bytes: gzipSync(text).length,
  registration_phase_bytes: bytes(text) - bytes(steadyText),
  per_epoch_bytes: bytes(steadyText) / steadyEpochs,
  per_epoch_gzip_bytes: gzipSync(steadyText).length / steadyEpochs,
  entries_per_epoch: steady.length / steadyEpochs,
  weights_entry_bytes: weightLines.reduce((s, l) => s + bytes(l), 0) / weightLines.length,
  epoch_entry_bytes: bytes(logLine(steady.find((e) => e.body.type === 'epoch')!)),
}

// == Verify in-process, as `webtensor verify` runs it (parse, then LogReplay with exact Yuma).
const signatures: { message: Uint8Array; signature: Uint8Array; address: string }[] = []
const owner = built.owner.address
for (const e of entries) {
  signatures.push({ message: entryHash(e), signature: fromHex(e.sig), address: owner })
  if (e.body.type === 'call') signatures.push({ message: fromHex(e.body.call.body), signature: fromHex(e.body.call.sig), address: decodeCall(e.body.call, built.manifest.netuid).hotkey })
}
const inputs = built.epochs.map((r) => r.input)
const verifyRuns: { parseMs: number; replayMs: number; yumaMs: number }[] = []
for (let r = 0; r < RUNS; r++) {
  let yumaMs = 0
  const timed = (input: LocalEpochInput): EpochOutput => {
    const s = performance.now()
    try {
      return exact(input)
    } finally {
      yumaMs += performance.now() - s
    }
  }
  t0 = performance.now()
  const parsed: LogEntry[] = parseLogLines(text)
  const parseMs = performance.now() - t0
  const replay = new LogReplay(timed, { ownerHotkey: owner, keepEpochs: 1 })
  t0 = performance.now()
  for (const e of parsed) if (!replay.push(e).ok) throw new Error(`the bench log does not verify: ${JSON.stringify(replay.divergence)}`)
  verifyRuns.push({ parseMs, replayMs: performance.now() - t0, yumaMs })
}
const calls = entries.flatMap((e) => (e.body.type === 'call' ? [e.body.call] : []))
const sigMs: number[] = []
const digestMs: number[] = []
const hashMs: number[] = []
const decodeMs: number[] = []
const yumaAloneMs: number[] = []
for (let r = 0; r < RUNS; r++) {
  t0 = performance.now()
  for (const e of entries) entryHash(e)
  hashMs.push(performance.now() - t0)
  t0 = performance.now()
  for (const c of calls) decodeCall(c, built.manifest.netuid)
  decodeMs.push(performance.now() - t0)
  t0 = performance.now()
  for (const s of signatures) if (!verifyHotkeySignature(s.message, s.signature, s.address)) throw new Error('a signature of the bench log does not verify')
  sigMs.push(performance.now() - t0)
  t0 = performance.now()
  for (const rec of built.epochs) void [digestOf(rec.input), digestOf(rec.output)]
  digestMs.push(performance.now() - t0)
  t0 = performance.now()
  for (const input of inputs) exact(input)
  yumaAloneMs.push(performance.now() - t0)
}
const epochs = built.epochs.length
const replayMs = median(verifyRuns.map((v) => v.replayMs))
const parseMs = median(verifyRuns.map((v) => v.parseMs))
const yumaInVerify = median(verifyRuns.map((v) => v.yumaMs))
const sig = median(sigMs)
const dig = median(digestMs)
const hashing = median(hashMs)
const decoding = median(decodeMs)
const yumaAlone = median(yumaAloneMs)
const rest = replayMs - yumaInVerify - sig - dig - hashing - decoding
const verifyMs = parseMs + replayMs
const share = (ms: number) => `${round((100 * ms) / verifyMs)}%`
console.log(`\nverify, in-process (median of ${RUNS}; sr25519 via ${sr25519VerifierName()}):`)
console.log(`  ${epochs} epochs, ${entries.length} entries in ${round(verifyMs)} ms (runs: ${verifyRuns.map((v) => round(v.parseMs + v.replayMs, 0)).join(', ')} ms; the first is cold) → ${round((1000 * epochs) / verifyMs)} epochs/s, ${round(verifyMs / epochs)} ms per epoch`)
console.log(`  | part | ms | per epoch | share |`)
console.log(`  | Yuma exact (${epochs} runs) | ${round(yumaInVerify)} | ${round(yumaInVerify / epochs, 2)} | ${share(yumaInVerify)} |`)
console.log(`  | sr25519 (${signatures.length} signatures, timed alone) | ${round(sig)} | ${round(sig / epochs, 2)} | ${share(sig)} |`)
console.log(`  | epoch digests (input + output, timed alone) | ${round(dig)} | ${round(dig / epochs, 2)} | ${share(dig)} |`)
console.log(`  | entry hashes (CBOR + blake2b, timed alone) | ${round(hashing)} | ${round(hashing / epochs, 2)} | ${share(hashing)} |`)
console.log(`  | call decoding (hex, CBOR, envelope schema, timed alone) | ${round(decoding)} | ${round(decoding / epochs, 2)} | ${share(decoding)} |`)
console.log(`  | JSON parse of the log | ${round(parseMs)} | ${round(parseMs / epochs, 2)} | ${share(parseMs)} |`)
console.log(`  | rest (chain rules, epoch inputs, hex, GC) | ${round(rest)} | ${round(rest / epochs, 2)} | ${share(rest)} |`)
console.log(`  Yuma alone on the same ${epochs} inputs: ${round(yumaAlone)} ms (${round(yumaAlone / epochs, 2)} ms per epoch); verify costs ×${round(verifyMs / yumaAlone, 2)} Yuma alone`)

console.log(`\nsize at n = ${n}: ${kib(size.total_bytes)} in all (gzip ${kib(size.total_gzip_bytes)}), of which registrations ${kib(size.registration_phase_bytes)}`)
console.log(`  per epoch: ${kib(size.per_epoch_bytes)} (gzip ${kib(size.per_epoch_gzip_bytes)}), ${round(size.entries_per_epoch, 2)} entries; a weights entry ${kib(size.weights_entry_bytes)}, an epoch entry ${size.epoch_entry_bytes} B`)

// == The real CLI on the written file (a fresh process: tsx start-up and module loading count).
t0 = performance.now()
const cli = spawnSync(process.execPath, [join(repo, 'bin/webtensor.js'), 'verify', file, '--json'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
const cliWallMs = performance.now() - t0
const cliOut = JSON.parse(cli.stdout.trim().split('\n').at(-1) ?? '{}') as { verified?: boolean; seconds?: number }
console.log(`\nwebtensor verify ${file}: exit ${cli.status}, ${round(cliWallMs / 1000, 2)} s wall, ${cliOut.seconds} s in the replay (its own figure)${cli.status === 0 ? '' : `\n${cli.stderr.slice(-2000)}`}`)

console.log(JSON.stringify({
  bench: 'chain', cores: cpus().length, node: process.version, date: new Date().toISOString(),
  load_average_1m: { start: round(loadAtStart, 2), end: round(loadavg()[0], 2) },
  n, entries: entries.length, epochs, signatures: signatures.length, sr25519: sr25519VerifierName(), build_s: round(buildMs / 1000),
  verify: {
    ms: round(verifyMs), epochs_per_s: round((1000 * epochs) / verifyMs), parse_ms: round(parseMs), yuma_ms: round(yumaInVerify), signatures_ms: round(sig),
    digests_ms: round(dig), entry_hashes_ms: round(hashing), call_decoding_ms: round(decoding), rest_ms: round(rest), yuma_alone_ms: round(yumaAlone), verify_over_yuma: round(verifyMs / yumaAlone, 2),
    runs_ms: verifyRuns.map((v) => round(v.parseMs + v.replayMs)),
  },
  size: Object.fromEntries(Object.entries(size).map(([k, v]) => [k, round(v)])),
  cli: { exit: cli.status, wall_s: round(cliWallMs / 1000, 2), replay_s: cliOut.seconds ?? null },
}))
