/**
 * The signed chain log of a real `webtensor start` (fast blocks) with a headless `webtensor
 * miner`: `webtensor verify` on the file and over the server's URL, on tampered and unreadable
 * copies; then the owner process killed with SIGKILL, and the whole subnet stopped and started
 * again — each time the chain continues (same genesis, blocks and uids) and the log verifies.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decode as cborDecode } from 'cborg'
import { entryHash, fromHex, LogReplay, parseLogLines, toHex, type LogEntry } from '../../src/chain/log.ts'
import { hotkeyFromSecret, type Hotkey } from '../../src/identity/index.ts'
import { canonicalEncode } from '../../src/p2p/envelope.ts'
import { runEpoch, type EpochInput, type EpochOutput } from '../../src/scoring/index.ts'
import { signedCall } from '../support/chain-calls.ts'
import { runCli, runCliToEnd, type RunningCli } from '../support/cli.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- a JSON manifest patched for the test
const manifest = JSON.parse(readFileSync(new URL('../../subnets/default.json', import.meta.url), 'utf8')) as Json
manifest.chain.blockTimeMs = 200
manifest.chain.tempo = 5

/** What `/api/health` says of the chain (the fields this test reads). */
interface ChainHealth {
  block: number
  epoch: number
  logHead: number
  difficulty: string
  genesis: string
  session: string
}

const exact = (input: unknown): EpochOutput => runEpoch(input as EpochInput, { mode: 'exact' })
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function chainOf(url: string): Promise<ChainHealth | null> {
  const res = await fetch(new URL('/api/health', url))
  assert.equal(res.status, 200)
  return ((await res.json()) as { chain: ChainHealth | null }).chain
}

/** Polls `probe` until it gives a value (not null/undefined/false); fails after `timeoutMs`, naming `what`. */
async function until<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 180_000): Promise<T> {
  for (const end = Date.now() + timeoutMs; ; ) {
    const v = await probe()
    if (v !== null && v !== undefined && v !== false) return v
    assert.ok(Date.now() < end, `${what}: not within ${timeoutMs / 1000} s`)
    await sleep(250)
  }
}

/** The log's whole lines (a line being written is not one yet). */
function wholeLines(path: string): string[] {
  const text = readFileSync(path, 'utf8')
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((l) => l !== '')
}
const entriesOf = (lines: string[]): LogEntry[] => parseLogLines(lines.join('\n'))

const isCall = (e: LogEntry, kind: string, ok = true): boolean => e.body.type === 'call' && e.body.kind === kind && e.body.result.ok === ok

/** Re-chains and re-signs entries from `from` on with `owner`: what a forging owner (its dev key is public) can do. */
function resign(entries: LogEntry[], owner: Hotkey, from: number): LogEntry[] {
  const out = entries.slice(0, from)
  for (const e of entries.slice(from)) {
    const unsigned = { seq: out.length, prev: toHex(entryHash(out.at(-1)!)), block: e.block, body: e.body }
    out.push({ ...unsigned, sig: toHex(owner.sign(entryHash(unsigned))) })
  }
  return out
}

/** `entry` with the first weight of its (signed) weights call changed, the call's signature left as it was. */
function withChangedWeight(entry: LogEntry): LogEntry {
  const e = structuredClone(entry)
  if (e.body.type !== 'call') throw new Error('not a call')
  const body = cborDecode(fromHex(e.body.call.body)) as { payload: { weights: number[] } }
  const w = body.payload.weights[0]!
  body.payload.weights[0] = w === 0 ? 1 : w - 1
  e.body.call.body = toHex(canonicalEncode(body))
  return e
}

const toText = (entries: LogEntry[]): string => entries.map((e) => `${JSON.stringify(e)}\n`).join('')

describe('webtensor verify and owner restarts on a real subnet', { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-verify-'))
  const manifestPath = join(dir, 'manifest.json')
  const state = join(dir, 'state')
  const minerState = join(dir, 'miner')
  const logPath = join(state, 'chain', 'log.jsonl')
  let start: RunningCli
  let miner: RunningCli | undefined
  let url = ''
  let printedLog: RegExpMatchArray
  let minerHotkey = ''
  let minerUid = -1
  /** The log as it stood once the subnet had registrations, weights and epochs. */
  let lines: string[] = []
  let entries: LogEntry[] = []

  const dump = (err: unknown): never => {
    console.error(`--- start ---\n${start?.output().slice(-5000)}\n--- miner ---\n${miner?.output().slice(-3000) ?? ''}`)
    throw err
  }
  const cliStart = (): RunningCli => runCli(['start', '--port', '0', '--relay-port', '0', '--state', state, '--manifest', manifestPath])
  const cliMiner = (relay: string): RunningCli => runCli(['miner', '--relay', relay, '--state', minerState, '--manifest', manifestPath])
  const verify = (...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => runCliToEnd(['verify', ...args])

  before(async () => {
    writeFileSync(manifestPath, JSON.stringify(manifest))
    start = cliStart()
    try {
      ;[, url] = (await start.waitFor(/open (http:\/\/\S+) to mine/, 300_000)) as [string, string]
      printedLog = await start.waitFor(/chain log: (\S+) \(verify: npx webtensor verify (\S+)\)/)
      miner = cliMiner(url)
      ;[, minerHotkey] = (await miner.waitFor(/miner (5\w{47}) running on cpu/, 180_000)) as [string, string]
      minerUid = Number((await miner.waitFor(/registered as uid (\d+)/, 180_000))[1])
      // Registrations, the validator's weights, and epochs after them.
      const ready = (): boolean => {
        lines = wholeLines(logPath)
        entries = entriesOf(lines)
        const w = entries.findIndex((e) => isCall(e, 'weights'))
        return w !== -1 && entries.some((e) => isCall(e, 'register')) && entries.slice(w).filter((e) => e.body.type === 'epoch').length >= 3
      }
      await until('a log with a registration, weights and three epochs after them', ready)
    } catch (err) {
      dump(err)
    }
  }, { timeout: 600_000 })

  after(async () => {
    await miner?.stop()
    assert.equal(await start?.stop(), 0, 'start exits cleanly on SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  })

  test('start says where its chain log is and how to verify it; the miner shows its proof of work', () => {
    assert.equal(printedLog[1], logPath)
    assert.equal(printedLog[2], url.replace(/\/$/, ''))
    assert.match(miner!.output(), /registering: proof of work at difficulty \d+/)
    assert.match(miner!.output(), new RegExp(`registered as uid ${minerUid}\\n`))
  })

  test('an untouched log verifies: as a file, as --json and over the server URL', async () => {
    const file = await verify(logPath)
    assert.equal(file.code, 0, file.stdout + file.stderr)
    const [, n, epochs] = /^verified (\d+) entries: (\d+) epochs re-derived with exact Yuma, \d+ signed calls \(\d+ refused as logged\), (\d+) registrations/m.exec(file.stdout) ?? []
    assert.ok(Number(n) >= entries.length && Number(epochs) >= 3, file.stdout)

    const json = await verify(logPath, '--json')
    assert.equal(json.code, 0, json.stderr)
    const summary = JSON.parse(json.stdout) as { verified: boolean; entries: number; epochs: number; registrations: number; head: { seq: number } }
    assert.equal(summary.verified, true)
    assert.ok(summary.entries >= entries.length && summary.head.seq === summary.entries - 1)
    assert.ok(summary.registrations >= 1 && summary.epochs >= 3)

    const served = await verify(url)
    assert.equal(served.code, 0, served.stdout + served.stderr)
    assert.match(served.stdout, /^verified \d+ entries: \d+ epochs re-derived/)
  })

  test('a tampered copy fails at the entry where it was changed (exit 1)', async () => {
    const owner = await hotkeyFromSecret(manifest.owner.devSecret as string)
    const w = entries.findIndex((e) => isCall(e, 'weights'))
    const r = entries.findIndex((e) => isCall(e, 'register'))
    const forger = await hotkeyFromSecret('//VerifyTestForger')
    const forgedCall = signedCall(forger, manifest.netuid as number, 'weights', { epoch: 1, uids: [minerUid], weights: [65535], versionKey: '0' }).signed
    const forgedUnsigned = { seq: w + 1, prev: toHex(entryHash(entries[w]!)), block: entries[w]!.block, body: { type: 'call' as const, kind: 'weights' as const, call: { body: toHex(forgedCall.body), sig: toHex(forgedCall.signature) }, result: { ok: true as const } } }
    const forged: LogEntry = { ...forgedUnsigned, sig: toHex(forger.sign(entryHash(forgedUnsigned))) }
    const swapped = [...lines]
    ;[swapped[r], swapped[r + 1]] = [swapped[r + 1]!, swapped[r]!]

    const cases: { name: string; text: string; seq: number; reason: string }[] = [
      { name: 'one weight changed', text: toText(entries.map((e, i) => (i === w ? withChangedWeight(e) : e))), seq: w, reason: 'bad_signature' },
      { name: 'one weight changed, the log re-signed with the owner key', text: toText(resign(entries.map((e, i) => (i === w ? withChangedWeight(e) : e)), owner, w)), seq: w, reason: 'bad_signature' },
      { name: 'a registration dropped', text: `${lines.filter((_, i) => i !== r).join('\n')}\n`, seq: r + 1, reason: 'broken_chain' },
      { name: 'a forged weights line added', text: toText([...entries.slice(0, w + 1), forged, ...entries.slice(w + 1)]), seq: w + 1, reason: 'bad_signature' },
      { name: 'two lines swapped', text: `${swapped.join('\n')}\n`, seq: r + 1, reason: 'broken_chain' },
    ]
    for (const c of cases) {
      const path = join(dir, `tampered-${c.name.replace(/\W+/g, '-')}.jsonl`)
      writeFileSync(path, c.text)
      const out = await verify(path)
      assert.equal(out.code, 1, `${c.name}: ${out.stdout}${out.stderr}`)
      assert.match(out.stdout, new RegExp(`^TAMPERED at entry ${c.seq} \\(${c.reason}\\)`), c.name)
    }
    const json = await verify(join(dir, 'tampered-a-registration-dropped.jsonl'), '--json')
    assert.equal(json.code, 1)
    assert.deepEqual(JSON.parse(json.stdout) as unknown, { verified: false, seq: r + 1, reason: 'broken_chain', detail: `entry ${r + 1} where ${r} was due`, entriesChecked: r })
  })

  test('a missing, damaged or empty log is unreadable (exit 2)', async () => {
    const damaged = join(dir, 'damaged.jsonl')
    writeFileSync(damaged, `${lines.map((l, i) => (i === 2 ? '{"seq": 2, "prev": "0x' : l)).join('\n')}\n`)
    const empty = join(dir, 'empty.jsonl')
    writeFileSync(empty, '')
    for (const [path, says] of [[join(dir, 'missing.jsonl'), /ENOENT/], [damaged, /line 3 \(entry 2\) is not JSON/], [empty, /holds no entries/]] as const) {
      const out = await verify(path)
      assert.equal(out.code, 2, `${path}: ${out.stdout}${out.stderr}`)
      assert.match(out.stderr, says)
      assert.equal(out.stdout, '')
    }
  })

  test('--owner with another hotkey refuses the genesis (exit 1)', async () => {
    const other = (manifest.validators as { hotkey: string }[])[0]!.hotkey
    const out = await verify(logPath, '--owner', other)
    assert.equal(out.code, 1, out.stdout + out.stderr)
    assert.match(out.stdout, /^TAMPERED at entry 0 \(wrong_genesis\)/)
    assert.equal((await verify(logPath, '--owner', manifest.owner.hotkey as string)).code, 0, 'the right owner')
  })

  test('the owner killed with SIGKILL restarts on the same chain: same genesis, blocks and epochs go on, the log verifies', async () => {
    try {
      const pids = [...start.output().matchAll(/owner process started \(pid (\d+)\)/g)].map((m) => Number(m[1]))
      const pid = pids.at(-1)!
      const seen = await until('the owner reports its chain', () => chainOf(url))
      const linesBefore = wholeLines(logPath).length
      process.kill(pid, 'SIGKILL')
      await start.waitFor(new RegExp(`owner process ${pid} exited \\(SIGKILL\\); restarting in`))
      const resumed = await until('the restarted owner reports its chain', async () => {
        const c = await chainOf(url)
        return c !== null && c.session !== seen.session ? c : null
      })
      assert.equal(resumed.genesis, seen.genesis, 'the same chain')
      assert.ok(resumed.block >= seen.block, `block ${resumed.block} after ${seen.block}`)
      assert.ok(resumed.epoch >= seen.epoch, `epoch ${resumed.epoch} after ${seen.epoch}`)
      assert.ok(resumed.logHead >= seen.logHead)
      await until('an epoch after the restart', async () => ((await chainOf(url))?.epoch ?? 0) > resumed.epoch)

      const now = entriesOf(wholeLines(logPath))
      assert.ok(now.length > linesBefore)
      assert.equal(now.filter((e) => e.body.type === 'genesis').length, 1, 'one genesis entry')
      assert.equal(toHex(entryHash(now[0]!)), seen.genesis, "the log's genesis is the chain /api/health names")
      const out = await verify(url)
      assert.equal(out.code, 0, out.stdout + out.stderr)
      // The chain the log leads to still has the miner at its uid.
      const replay = new LogReplay<EpochOutput>(exact, { ownerHotkey: manifest.owner.hotkey as string, keepEpochs: 1 })
      for (const e of now) assert.ok(replay.push(e).ok, JSON.stringify(replay.divergence))
      assert.equal(replay.chain!.uidOf(minerHotkey), minerUid)
      assert.equal(now.filter((e) => isCall(e, 'register')).length, 1, 'the miner did not register again')
      assert.doesNotMatch(miner!.output(), /no longer registered/)
    } catch (err) {
      dump(err)
    }
  })

  test('a full stop and a second start resume the chain at the same block, with the same uids', async () => {
    try {
      await miner!.stop()
      miner = undefined
      const last = await until('the owner reports its chain', () => chainOf(url))
      assert.equal(await start.stop(), 0)
      const atStop = wholeLines(logPath)
      const savedBlock = Number(readFileSync(join(state, 'chain', 'block'), 'utf8'))
      assert.ok(savedBlock >= last.block)

      start = cliStart()
      ;[, url] = (await start.waitFor(/open (http:\/\/\S+) to mine/, 300_000)) as [string, string]
      const resumed = await until('the second start reports its chain', () => chainOf(url))
      assert.equal(resumed.genesis, last.genesis, 'the same chain')
      assert.notEqual(resumed.session, last.session)
      assert.ok(resumed.block >= savedBlock, `block ${resumed.block} after ${savedBlock}`)
      assert.ok(resumed.epoch >= last.epoch)

      // The miner, with its key in its state folder, finds itself registered at the same uid.
      miner = cliMiner(url)
      assert.equal(Number((await miner.waitFor(/registered as uid (\d+)/, 180_000))[1]), minerUid)
      const now = wholeLines(logPath)
      assert.deepEqual(now.slice(0, atStop.length), atStop, 'the log was only appended to')
      const all = entriesOf(now)
      assert.equal(all.filter((e) => e.body.type === 'genesis').length, 1)
      assert.equal(all.filter((e) => isCall(e, 'register')).length, 1, 'nobody registered again')
      const out = await verify(url, '--json')
      assert.equal(out.code, 0, out.stdout + out.stderr)
      assert.ok((JSON.parse(out.stdout) as { entries: number }).entries >= now.length)
    } catch (err) {
      dump(err)
    }
  })
})
