/** `webtensor validator|miner --chain ws://… --netuid N`: the flags, and a chain that is not there. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runCli } from '../support/cli.ts'

const exitCode = (cli: ReturnType<typeof runCli>): Promise<unknown> =>
  new Promise((r) => (cli.child.exitCode !== null ? r(cli.child.exitCode) : cli.child.once('exit', r)))

const RELAY = '/ip4/127.0.0.1/tcp/1/ws'

test('--chain and --netuid: bad values exit 2 naming the flag', { timeout: 60_000 }, async () => {
  const cases: [string[], RegExp][] = [
    [['validator', '--relay', RELAY, '--secret', '//Alice', '--chain', 'http://127.0.0.1:9944', '--netuid', '2'], /--chain needs a ws:\/\/ or wss:\/\/ URL/],
    [['miner', '--relay', RELAY, '--chain', 'ws://127.0.0.1:9944'], /--netuid must be 0\.\.65535 with --chain/],
    [['relay', '--chain', 'ws://127.0.0.1:9944', '--netuid', '1'], /--chain and --netuid apply to start, validator and miner only/],
  ]
  await Promise.all(cases.map(async ([args, re]) => {
    const cli = runCli(args)
    await cli.waitFor(re, 50_000)
    assert.equal(await exitCode(cli), 2)
  }))
})

test('a validator whose chain does not answer exits 2 with a clear message after the retries', { timeout: 60_000 }, async () => {
  const cli = runCli(['validator', '--relay', RELAY, '--secret', '//Alice', '--chain', 'ws://127.0.0.1:1', '--netuid', '2'])
  await cli.waitFor(/webtensor: no subtensor node answered at ws:\/\/127\.0\.0\.1:1 after 4 attempt\(s\)/, 50_000)
  assert.equal(await exitCode(cli), 2)
  assert.doesNotMatch(cli.output(), /running on subnet/)
})
