// A deployment's shape, in the private test network: `webtensor relay` with a certificate serves
// the page over https and the relay over wss under a DNS name (announced with --announce), and
// hands pages STUN/TURN servers with TURN credentials minted per request. A Chromium tab trusting
// only that certificate's key loads the page, starts mining and joins the relay over wss.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launchChromium, TEST_HOST } from '../support/browser.ts'
import { runCli } from '../support/cli.ts'
import { makeSelfSignedCert, trustCertArgs } from '../support/tls.ts'

const NAME = 'relay.test'

/** A port free right now on `host` (the relay's port must be known before it starts, to announce it). */
async function freePort(host: string): Promise<number> {
  const srv = createServer()
  await new Promise<void>((ok) => srv.listen(0, host, ok))
  const { port } = srv.address() as { port: number }
  await new Promise<void>((ok) => srv.close(() => ok()))
  return port
}

interface Config {
  relay: string[]
  iceServers: { urls: string[]; username?: string; credential?: string }[]
}

test('https page + wss relay under a DNS name, with minted TURN credentials in /api/config', { timeout: 240_000 }, async (t) => {
  const state = mkdtempSync(join(tmpdir(), 'wt-tls-'))
  const cert = makeSelfSignedCert([NAME, TEST_HOST])
  const secretFile = join(state, 'turn.secret')
  writeFileSync(secretFile, 'coturn-shared-secret\n')
  const relayPort = await freePort(TEST_HOST)
  const announce = `/dns4/${NAME}/tcp/${relayPort}/tls/ws`
  const turnUrl = `turn:${NAME}:3478?transport=udp`
  const cli = runCli([
    'relay', '--host', TEST_HOST, '--port', '0', '--relay-port', String(relayPort), '--state', state,
    '--tls-cert', cert.certFile, '--tls-key', cert.keyFile, '--announce', announce,
    '--ice-servers', JSON.stringify([{ urls: `stun:${NAME}:3478` }]),
    '--turn', turnUrl, '--turn-secret-file', secretFile, '--turn-ttl', '3600',
  ])
  // The test names resolve to the server's address, as public DNS would.
  const browser = await launchChromium({ webgpu: false, extraArgs: [...trustCertArgs(cert), `--host-resolver-rules=MAP ${NAME} ${TEST_HOST}`] })
  const log: string[] = []
  try {
    const [, url] = await cli.waitFor(/open (https:\/\/\S+) to mine/, 180_000)
    const origin = `https://${NAME}:${new URL(url!).port}`
    const page = await browser.newPage()
    page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`))
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`))
    const sockets: string[] = []
    page.on('websocket', (ws) => sockets.push(ws.url()))
    await page.goto(`${origin}/`)
    await page.getByTestId('start').waitFor()
    assert.equal(await page.evaluate(() => location.protocol), 'https:')
    assert.equal(await page.evaluate(() => isSecureContext), true, 'an https page is a secure context without any insecure-origin flag')
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'COOP/COEP over https too')

    // /api/config as the page sees it: the announced relay address, the static STUN server and a
    // TURN credential minted for this request from the shared secret.
    const fetchConfig = (): Promise<Config> => page.evaluate(async () => (await (await fetch('/api/config')).json()) as Config)
    const [c1, c2] = [await fetchConfig(), await fetchConfig()]
    assert.equal(c1.relay.length, 1)
    assert.match(c1.relay[0]!, new RegExp(`^${announce}/p2p/12D3KooW\\w+$`))
    assert.deepEqual(c1.iceServers[0], { urls: [`stun:${NAME}:3478`] })
    const turn = c1.iceServers[1]!
    assert.deepEqual(turn.urls, [turnUrl])
    const [expiry] = turn.username!.split(':')
    const ttl = Number(expiry) - Date.now() / 1000
    assert.ok(ttl > 3500 && ttl <= 3600, `expiry ${ttl.toFixed(0)} s from now, per --turn-ttl`)
    assert.equal(turn.credential, createHmac('sha1', 'coturn-shared-secret').update(turn.username!).digest('base64'), 'coturn use-auth-secret credential')
    assert.notEqual(c2.iceServers[1]!.username, turn.username, 'each request gets its own credential')

    // The tab mines: model, then the mesh joins the relay over wss (the only peer a bare relay has).
    await page.getByTestId('start').click()
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="peers"]')?.textContent) > 0, null, { timeout: 120_000 })
    // A bare relay has no subnet owner: after waiting for chain state the page mines anyway, and says why.
    await page.waitForFunction(() => document.querySelector('[data-testid="phase"]')?.textContent === 'Mining', null, { timeout: 60_000 })
    assert.match(await page.getByTestId('role').innerText(), /no metagraph from the subnet owner yet/)
    assert.deepEqual([...new Set(sockets)], [`wss://${NAME}:${relayPort}/`], 'one wss connection, to the announced relay')
    const health = (await (await page.evaluate(async () => JSON.stringify(await (await fetch('/api/health')).json())))) as string
    const relay = (JSON.parse(health) as { relay: { peers: number; byTransport: Record<string, number> } }).relay
    assert.ok(relay.peers >= 1 && (relay.byTransport['websockets'] ?? 0) >= 1, `relay sees the tab: ${JSON.stringify(relay)}`)
    t.diagnostic(`relay ${JSON.stringify(relay.byTransport)}`)
  } catch (err) {
    console.error(`--- webtensor relay ---\n${cli.output().slice(-6000)}\n--- page console ---\n${log.slice(-60).join('\n')}`)
    throw err
  } finally {
    await browser.close()
    await cli.stop()
  }
})
