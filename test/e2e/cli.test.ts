import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli, runCliToEnd } from '../support/cli.ts'

test('webtensor help and bad arguments', async () => {
  const help = runCli(['--help'])
  await help.waitFor(/Commands:/)
  assert.equal(await new Promise((r) => help.child.once('exit', r)), 0)
  const unknown = runCli(['frobnicate'])
  await unknown.waitFor(/unknown command "frobnicate"/)
  assert.equal(await new Promise((r) => unknown.child.once('exit', r)), 2)
  const badPort = runCli(['start', '--port', '99999'])
  await badPort.waitFor(/--port must be 0\.\.65535/)
  assert.equal(await new Promise((r) => badPort.child.once('exit', r)), 2)
})

test('webtensor relay serves the app, the config with relay addresses, health, models and wasm', { timeout: 120_000 }, async () => {
  const relay = runCli(['relay', '--port', '0', '--relay-port', '0', '--state', mkdtempSync(join(tmpdir(), 'wt-relay-'))])
  try {
    const [, url] = await relay.waitFor(/open (http:\/\/\S+) to mine/, 90_000)
    const config = (await (await fetch(new URL('/api/config', url))).json()) as { relay: string[]; netuid: number; manifest: { owner: Record<string, unknown> } }
    assert.ok(config.relay.length > 0 && config.relay.every((a) => /\/ws\/p2p\/12D3/.test(a)), JSON.stringify(config.relay))
    assert.equal(config.manifest.owner.devSecret, undefined, 'secrets are not served')
    const health = (await (await fetch(new URL('/api/health', url))).json()) as { ok: boolean; relay: { peerId: string }; chain: unknown }
    assert.equal(health.ok, true)
    assert.equal(health.chain, null, 'a bare relay runs no chain')
    assert.match((await (await fetch(url!)).text()), /<div id="app">/)
    const wasm = await fetch(new URL('/ort/ort-wasm-simd-threaded.wasm', url))
    assert.equal(wasm.headers.get('content-type'), 'application/wasm')
    await wasm.arrayBuffer()
    const model = await fetch(new URL('/models/webtensor/tiny-gpt2/config.json', url))
    assert.equal(model.status, 200)
    assert.equal(((await model.json()) as { model_type: string }).model_type, 'gpt2')
  } finally {
    assert.equal(await relay.stop(), 0)
  }
})

test('webtensor start, then a headless `webtensor miner` joins, answers and earns', { timeout: 300_000 }, async () => {
  const start = runCli(['start', '--port', '0', '--relay-port', '0', '--state', mkdtempSync(join(tmpdir(), 'wt-cli-'))])
  let miner: ReturnType<typeof runCli> | undefined
  try {
    const [, url] = await start.waitFor(/open (http:\/\/\S+) to mine/, 240_000)
    await start.waitFor(/chain log: \S+[\\/]chain[\\/]log\.jsonl \(verify: npx webtensor verify http:\/\/\S+\)/)
    const state = mkdtempSync(join(tmpdir(), 'wt-cli-miner-'))
    miner = runCli(['miner', '--relay', url!, '--state', state])
    const [, hotkey] = await miner.waitFor(/miner (5\w{47}) running on cpu/, 120_000)
    // It says what it does while it registers: the proof of work, then its uid.
    await miner.waitFor(/registering: proof of work at difficulty [1-9]\d*/, 120_000)
    const [, uid] = await miner.waitFor(/(?:^|\n)registered as uid (\d+)\n/, 120_000)
    await miner.waitFor(/miner: uid \d+ answered [1-9]\d* score [01]\.\d+ incentive (?!0\.0000)\d\.\d{4}/, 240_000)
    const health = (await (await fetch(new URL('/api/health', url))).json()) as { chain: { registrations: number; logHead: number; genesis: string; session: string } }
    assert.ok(health.chain.registrations >= 1)
    assert.ok(health.chain.logHead >= 1, 'the log head is shown')
    assert.match(health.chain.genesis, /^0x[0-9a-f]{64}$/, 'and the chain it belongs to')
    assert.match(health.chain.session, /^[0-9a-f]{16}$/)
    // Anyone can ask the subnet from a shell: the answer is the registered miner's, signed.
    const ask = await runCliToEnd(['ask', 'The capital of France is', '--server', url!, '--miners', '1', '--max-tokens', '6', '--json'], { timeoutMs: 120_000 })
    assert.equal(ask.code, 0, ask.stderr)
    const answer = JSON.parse(ask.stdout.trim()) as { uid: number; hotkey: string; tokens: number; text: string; signed: string }
    assert.equal(answer.hotkey, hotkey)
    assert.equal(String(answer.uid), uid)
    assert.ok(answer.tokens > 0 && answer.tokens <= 6 && /^[0-9a-f]+$/.test(answer.signed))
    await miner.stop()

    // The Node miner keeps its hotkey in --state across restarts, and so its uid.
    miner = runCli(['miner', '--relay', url!, '--state', state])
    const [, again] = await miner.waitFor(/miner (5\w{47}) running on cpu/, 120_000)
    assert.equal(again, hotkey)
    assert.equal((await miner.waitFor(/(?:^|\n)registered as uid (\d+)\n/, 120_000))[1], uid)
  } catch (err) {
    console.error(`--- start ---\n${start.output().slice(-4000)}\n--- miner ---\n${miner?.output().slice(-4000) ?? ''}`)
    throw err
  } finally {
    await miner?.stop()
    assert.equal(await start.stop(), 0, 'start exits cleanly on SIGTERM')
  }
})

test('webtensor start: the owner process killed with SIGKILL is restarted while the web server keeps answering', { timeout: 300_000 }, async () => {
  const start = runCli(['start', '--port', '0', '--relay-port', '0', '--state', mkdtempSync(join(tmpdir(), 'wt-cli-kill-'))])
  type Health = { ok: boolean; chain: { block: number } | null }
  const health = async (url: string): Promise<{ status: number; body: Health | null }> => {
    const res = await fetch(new URL('/api/health', url))
    return { status: res.status, body: res.ok ? ((await res.json()) as Health) : null }
  }
  try {
    const [, url] = await start.waitFor(/open (http:\/\/\S+) to mine/, 240_000)
    const [, firstPid] = await start.waitFor(/owner process started \(pid (\d+)\)/)
    const isUp = async (): Promise<boolean> => ((await health(url!)).body?.chain?.block ?? 0) >= 1
    for (const end = Date.now() + 60_000; !(await isUp()); ) {
      assert.ok(Date.now() < end, 'the owner reports its chain')
      await new Promise((r) => setTimeout(r, 200))
    }

    process.kill(Number(firstPid), 'SIGKILL')
    const statuses: Record<string, number> = {}
    let sawNoChain = false
    let restarted = false
    for (const end = Date.now() + 180_000; !restarted; ) {
      assert.ok(Date.now() < end, `no restart within 180 s:\n${start.output().slice(-3000)}`)
      const [h, page] = await Promise.all([health(url!), fetch(url!).then(async (r) => (await r.arrayBuffer(), r.status))])
      statuses[`${h.status}/${page}`] = (statuses[`${h.status}/${page}`] ?? 0) + 1
      if (h.body?.chain === null) sawNoChain = true
      const second = /owner process started \(pid (\d+)\)[\s\S]*owner process started \(pid (\d+)\)/.exec(start.output())
      restarted = second !== null && second[2] !== firstPid && sawNoChain && h.body?.chain != null
      await new Promise((r) => setTimeout(r, 100))
    }
    console.log(`while the owner restarted, /api/health and / answered: ${JSON.stringify(statuses)}`)
    assert.deepEqual(Object.keys(statuses), ['200/200'], 'every request answered 200 throughout')
    assert.match(start.output(), new RegExp(`owner process ${firstPid} exited \\(SIGKILL\\); restarting in`))
    assert.ok(sawNoChain, 'health said the chain was down while the owner was')
  } catch (err) {
    console.error(`--- start ---\n${start.output().slice(-4000)}`)
    throw err
  } finally {
    assert.equal(await start.stop(), 0, 'start (and its owner process) exits cleanly on SIGTERM')
  }
})
