import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../support/cli.ts'

const exitCode = (cli: ReturnType<typeof runCli>): Promise<unknown> =>
  new Promise((r) => (cli.child.exitCode !== null ? r(cli.child.exitCode) : cli.child.once('exit', r)))

test('webtensor start|relay: bad network flags exit 2 with the flag named, before anything listens', async () => {
  const cases: [string[], RegExp][] = [
    [['relay', '--tls-cert', '/nonexistent/cert.pem'], /webtensor: --tls-cert and --tls-key go together/],
    [['start', '--announce', '/ip4/1.2.3.4/tcp/443'], /webtensor: --announce \/ip4\/1\.2\.3\.4\/tcp\/443: must be a WebSockets address/],
    [['relay', '--ice-servers', '[{"urls":"turn:t:3478"}]'], /webtensor: --ice-servers\[0\] has TURN URLs and needs both username and credential/],
  ]
  await Promise.all(
    cases.map(async ([args, re]) => {
      const cli = runCli(args)
      await cli.waitFor(re, 60_000)
      assert.equal(await exitCode(cli), 2)
      assert.doesNotMatch(cli.output(), /listening|is up/)
    }),
  )
})

test('flags that clash with the manifest or the relay key exit 2', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-cli-net-'))
  const manifest = JSON.parse(readFileSync(new URL('../../subnets/default.json', import.meta.url), 'utf8'))
  manifest.network = { iceServers: Array.from({ length: 8 }, (_, i) => ({ urls: `stun:stun${i}.example.org:3478` })) }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest))
  writeFileSync(join(dir, 'secret'), 'x')
  const tooMany = runCli(['relay', '--manifest', join(dir, 'manifest.json'), '--turn', 'turn:t:3478', '--turn-secret-file', join(dir, 'secret'), '--state', dir])
  await tooMany.waitFor(/network\.iceServers, --ice-servers and --turn make more than 8 ICE servers/, 60_000)
  assert.equal(await exitCode(tooMany), 2)
  // An announced address that names another peer than the relay (its key lives in --state).
  const other = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
  const wrongId = runCli(['relay', '--port', '0', '--relay-port', '0', '--state', dir, '--announce', `/dns4/relay.example.org/tcp/443/wss/p2p/${other}`])
  await wrongId.waitFor(new RegExp(`--announce \\S+: names peer ${other}, but the relay is 12D3KooW`), 90_000)
  assert.equal(await exitCode(wrongId), 2)
})
