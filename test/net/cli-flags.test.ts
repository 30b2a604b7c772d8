import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runCli } from '../support/cli.ts'

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
      assert.equal(await new Promise((r) => (cli.child.exitCode !== null ? r(cli.child.exitCode) : cli.child.once('exit', r))), 2)
      assert.doesNotMatch(cli.output(), /listening|is up/)
    }),
  )
})
