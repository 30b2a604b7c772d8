// A browser on one network and another on a second network mine together through a relay on a
// third. The test's own namespace is the server network (10.77.0.1): `webtensor start` (relay,
// web server, owner, validator) and coturn. Two client namespaces, A and B, each reach it over their
// own link, and nothing routes between them. Each runs one Chromium; the only way for them to link
// is WebRTC through TURN, with credentials the server mints from coturn's shared secret.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, secureOrigin, TEST_HOST } from '../support/browser.ts'
import { runCli } from '../support/cli.ts'
import { assertPrivateNamespace, createClientNetwork, disableForwarding, tcpReaches, type ClientNetwork } from '../support/netns.ts'
import { until } from '../p2p/harness.ts'

const TURNSERVER = '/usr/bin/turnserver'

/** Runs in each page before its scripts: keeps every RTCPeerConnection and the mesh for inspection. */
function spy(): void {
  const g = globalThis as unknown as { __pcs: RTCPeerConnection[]; __mesh: unknown; RTCPeerConnection: typeof RTCPeerConnection }
  g.__pcs = []
  const Native = g.RTCPeerConnection
  g.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config)
      g.__pcs.push(this)
    }
  }
  addEventListener('webtensor:mesh', (e) => {
    g.__mesh = (e as CustomEvent).detail
  })
}

interface PairInfo {
  iceServers: string[]
  local: string
  remote: string
  localAddr: string
  remoteAddr: string
  bytesReceived: number
}

/** The selected ICE candidate pair of each connected RTCPeerConnection of the page. */
function selectedPairs(page: Page): Promise<PairInfo[]> {
  return page.evaluate(async () => {
    const g = globalThis as unknown as { __pcs: RTCPeerConnection[] }
    const out = []
    for (const pc of g.__pcs.filter((p) => p.connectionState === 'connected')) {
      const stats = new Map<string, Record<string, unknown>>()
      ;(await pc.getStats()).forEach((s: Record<string, unknown>) => stats.set(s.id as string, s))
      const transport = [...stats.values()].find((s) => s.type === 'transport')
      const pair = stats.get(transport?.selectedCandidatePairId as string) ?? [...stats.values()].find((s) => s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded')
      if (pair === undefined) continue
      const local = stats.get(pair.localCandidateId as string) ?? {}
      const remote = stats.get(pair.remoteCandidateId as string) ?? {}
      out.push({
        iceServers: (pc.getConfiguration().iceServers ?? []).flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls])),
        local: String(local.candidateType),
        remote: String(remote.candidateType),
        localAddr: `${String(local.address)}:${String(local.port)}`,
        remoteAddr: `${String(remote.address)}:${String(remote.port)}`,
        bytesReceived: Number(transport?.bytesReceived ?? pair.bytesReceived ?? 0),
      })
    }
    return out
  })
}

/** Peer ids this page holds an open WebRTC connection to. */
function webrtcPeers(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const mesh = (globalThis as unknown as { __mesh?: { libp2p: { getConnections(): { status: string; remoteAddr: { toString(): string }; remotePeer: { toString(): string } }[] } } }).__mesh
    return (mesh?.libp2p.getConnections() ?? []).filter((c) => c.status === 'open' && c.remoteAddr.toString().includes('/webrtc')).map((c) => c.remotePeer.toString())
  })
}

const text = (page: Page, id: string): Promise<string> => page.getByTestId(id).innerText()

test('two browsers on separate networks link over TURN, gossip and mine together', { timeout: 420_000 }, async (t) => {
  assertPrivateNamespace()
  if (!existsSync(TURNSERVER)) throw new Error(`${TURNSERVER} not found: apt-get install -y coturn`)
  const tmp = mkdtempSync(join(tmpdir(), 'wt-turn-'))
  disableForwarding()
  const nets: ClientNetwork[] = []
  const browsers: Browser[] = []
  const secret = randomBytes(16).toString('hex')
  const secretFile = join(tmp, 'turn.secret')
  writeFileSync(secretFile, secret)
  let turnLog = ''
  const turn = spawn(TURNSERVER, [
    '-n', `--listening-ip=${TEST_HOST}`, `--relay-ip=${TEST_HOST}`, '--listening-port=3478', '--min-port=50000', '--max-port=50200',
    '--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=webtensor', '--no-tls', '--no-dtls', '--no-cli',
    `--db=${join(tmp, 'turndb')}`, `--pidfile=${join(tmp, 'turn.pid')}`, '--log-file=stdout', '--simple-log',
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  turn.stdout.on('data', (d: Buffer) => (turnLog += d.toString()))
  turn.stderr.on('data', (d: Buffer) => (turnLog += d.toString()))
  const cli = runCli([
    'start', '--host', TEST_HOST, '--port', '0', '--relay-port', '0', '--state', tmp,
    '--turn', `turn:${TEST_HOST}:3478?transport=udp`, '--turn-secret-file', secretFile,
  ])
  const logs: string[] = []
  try {
    nets.push(await createClientNetwork(1, tmp), await createClientNetwork(2, tmp))
    const [a, b] = nets as [ClientNetwork, ClientNetwork]
    // Each client reaches the server network, and neither reaches the other.
    assert.ok(tcpReaches(a, TEST_HOST, 9), 'A reaches the server')
    assert.ok(tcpReaches(b, TEST_HOST, 9), 'B reaches the server')
    assert.ok(!tcpReaches(a, b.addr, 9), 'A must not reach B')
    assert.ok(!tcpReaches(b, a.addr, 9), 'B must not reach A')

    await until('coturn listening', () => /Total General servers/.test(turnLog) || turn.exitCode !== null, 30_000)
    assert.equal(turn.exitCode, null, `turnserver exited:\n${turnLog}`)
    const [, url] = await cli.waitFor(/open (http:\/\/\S+) to mine/, 240_000)

    const pages: Page[] = []
    for (const [i, net] of nets.entries()) {
      const browser = await launchChromium({ webgpu: false, executablePath: net.chromium, extraArgs: secureOrigin(url!) })
      browsers.push(browser)
      const page = await browser.newPage()
      page.on('console', (m) => logs.push(`[${'AB'[i]} ${m.type()}] ${m.text()}`))
      page.on('pageerror', (e) => logs.push(`[${'AB'[i]} pageerror] ${e.message}`))
      await page.addInitScript(spy)
      await page.goto(url!)
      await page.getByTestId('start').click()
      pages.push(page)
    }
    const [pa, pb] = pages as [Page, Page]
    const started = Date.now()
    for (const p of pages) await p.waitForFunction(() => (globalThis as unknown as { __mesh?: unknown }).__mesh !== undefined, null, { timeout: 120_000 })
    const peerIds = await Promise.all(pages.map((p) => p.evaluate(() => (globalThis as unknown as { __mesh: { peerId: string } }).__mesh.peerId)))

    // A direct WebRTC link, seen from both ends.
    await until('a WebRTC link between A and B', async () => (await webrtcPeers(pa)).includes(peerIds[1]!) && (await webrtcPeers(pb)).includes(peerIds[0]!), 120_000)
    t.diagnostic(`A–B WebRTC link up ${((Date.now() - started) / 1000).toFixed(1)} s after the mesh started`)
    // Its selected ICE pair goes through the TURN server (a relay candidate at one end at least),
    // with the TURN server the page got from /api/config. coturn runs with use-auth-secret, so a
    // relay candidate exists only if it accepted the credential our server minted.
    for (const [i, p] of pages.entries()) {
      const pairs = await selectedPairs(p)
      assert.ok(pairs.length >= 1, `tab ${'AB'[i]} has a connected RTCPeerConnection`)
      for (const pair of pairs) {
        assert.ok(pair.iceServers.includes(`turn:${TEST_HOST}:3478?transport=udp`), `tab ${'AB'[i]}'s peer connection got the TURN server: ${pair.iceServers.join(',')}`)
        assert.ok(pair.local === 'relay' || pair.remote === 'relay', `tab ${'AB'[i]}'s selected pair is ${pair.local} ${pair.localAddr} ↔ ${pair.remote} ${pair.remoteAddr}: no relay candidate`)
      }
      t.diagnostic(`tab ${'AB'[i]} selected pairs: ${pairs.map((x) => `${x.local} ${x.localAddr} ↔ ${x.remote} ${x.remoteAddr}`).join('; ')}`)
    }

    // A gossip message from A (an announce naming a fresh agent) reaches B.
    const id = `turn-${randomBytes(4).toString('hex')}`
    await pb.evaluate((wanted) => {
      const g = globalThis as unknown as { __got: string[]; __mesh: { subscribe(k: string, h: (m: { payload: { agent: string } }) => void): void } }
      g.__got = []
      g.__mesh.subscribe('announce', (m) => {
        if (m.payload.agent === wanted) g.__got.push(m.payload.agent)
      })
    }, id)
    const bytesBefore = (await selectedPairs(pb)).reduce((s, x) => s + x.bytesReceived, 0)
    const sentAt = Date.now()
    await pa.evaluate((agent) => (globalThis as unknown as { __mesh: { publish(k: string, p: unknown): Promise<void> } }).__mesh.publish('announce', { role: 'miner', agent }), id)
    await until('A’s message at B', () => pb.evaluate(() => (globalThis as unknown as { __got: string[] }).__got.length > 0), 30_000)
    const bytesAfter = (await selectedPairs(pb)).reduce((s, x) => s + x.bytesReceived, 0)
    t.diagnostic(`A→B gossip delivered in ${Date.now() - sentAt} ms; B's WebRTC link received ${bytesAfter - bytesBefore} bytes meanwhile`)

    // Both tabs mine: they answer the validator's queries and it scores them.
    await until('both tabs answered and scored', async () => {
      for (const p of pages) if (!(Number(await text(p, 'answered')) > 0 && Number(await text(p, 'score')) > 0)) return false
      return true
    }, 180_000)
    for (const [i, p] of pages.entries()) t.diagnostic(`tab ${'AB'[i]}: answered ${await text(p, 'answered')}, score ${await text(p, 'score')}, peers ${await text(p, 'peers')}`)
  } catch (err) {
    console.error(`--- webtensor start ---\n${cli.output().slice(-6000)}\n--- turnserver ---\n${turnLog.slice(-3000)}\n--- pages ---\n${logs.slice(-80).join('\n')}`)
    throw err
  } finally {
    for (const b of browsers) await b.close().catch(() => {})
    await cli.stop()
    turn.kill('SIGTERM')
    for (const n of nets) n.close()
  }
})
