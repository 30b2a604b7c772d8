// `webtensor validator` takes its secret from a file, WEBTENSOR_SECRET or a btcli wallet's hotkey
// file (and still from --secret, with a warning), against a running relay; nothing it or the relay prints contains the secret,
// two consecutive words of it, or the keys derived from it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodePair } from '@polkadot/keyring/pair/decode'
import { u8aToHex } from '@polkadot/util'
import { mnemonicGenerate, mnemonicToMiniSecret } from '@polkadot/util-crypto'
import { canonicalSecretKey, hotkeyFromSecret } from '../../src/identity/identity.ts'
import { keyfileJson } from '../../src/identity/keyfile.ts'
import { runCli, type RunningCli } from '../support/cli.ts'

/** Strings that must never be printed for `secret`: itself, each pair of consecutive words, the mini secret (seed) and the sr25519 secret key (both encodings). */
async function forbidden(secret: string): Promise<string[]> {
  const phrase = secret.split('//')[0]!.trim()
  const words = phrase.split(' ')
  const pair = (await hotkeyFromSecret(secret)).pair
  const seed = u8aToHex(mnemonicToMiniSecret(phrase))
  const secretKey = u8aToHex(decodePair(undefined, pair.encodePkcs8(), 'none').secretKey)
  const privateKey = u8aToHex(canonicalSecretKey(pair)) // btcli's encoding of the secret key
  return [secret, phrase, ...words.slice(1).map((w, i) => `${words[i]} ${w}`), seed, seed.slice(2), secretKey, secretKey.slice(2), privateKey.slice(2)]
}

function assertNothingSecret(output: string, secrets: string[], what: string): void {
  const leaked = secrets.filter((s) => output.toLowerCase().includes(s.toLowerCase()))
  assert.deepEqual(leaked, [], `${what} printed secret material`)
}

test('validator secrets by file, environment and btcli wallet, --secret with a warning, bad files refused, nothing secret printed', { timeout: 300_000 }, async () => {
  const relay = runCli(['relay', '--port', '0', '--relay-port', '0', '--state', mkdtempSync(join(tmpdir(), 'wt-secrets-relay-'))])
  const runs: RunningCli[] = []
  const dir = mkdtempSync(join(tmpdir(), 'wt-secrets-'))
  const cases = [
    { from: 'file', secret: `${mnemonicGenerate(12)}//validator/1` },
    { from: 'env', secret: mnemonicGenerate(24) },
    { from: 'argv', secret: mnemonicGenerate(12) },
    { from: 'wallet', secret: mnemonicGenerate(12) },
  ] as const
  try {
    const [, url] = await relay.waitFor(/open (http:\/\/\S+) to mine/, 240_000)
    // The three run side by side, each with its secret from another source.
    // The btcli wallet's hotkey file, as btcli writes it (phrase, seed, private key, addresses).
    mkdirSync(join(dir, 'wallets', 'w', 'hotkeys'), { recursive: true })
    writeFileSync(join(dir, 'wallets', 'w', 'hotkeys', 'h'), keyfileJson(await hotkeyFromSecret(cases[3].secret)), { mode: 0o600 })
    const started = cases.map(({ from, secret }) => {
      const file = join(dir, `${from}.secret`)
      writeFileSync(file, `${secret}\n`, { mode: 0o600 })
      const args = ['validator', '--relay', url!]
      const env = { ...process.env }
      if (from === 'file') args.push('--secret-file', file)
      if (from === 'env') env.WEBTENSOR_SECRET = secret
      if (from === 'argv') args.push('--secret', secret)
      if (from === 'wallet') args.push('--wallet.path', join(dir, 'wallets'), '--wallet.name', 'w', '--wallet.hotkey', 'h')
      const run = runCli(args, { env })
      runs.push(run)
      return { from, secret, run }
    })
    for (const { from, secret, run } of started) {
      const [, address] = await run.waitFor(/validator (5\w{47}) running on subnet/, 180_000)
      assert.equal(address, (await hotkeyFromSecret(secret)).address, `the ${from} secret is the one used`)
      assert.equal(/other users of this machine can read it/.test(run.output()), from === 'argv', `${from}: warning only for --secret`)
    }
    // Run briefly, so that they log (and stop cleanly: a validator stopped within a second of
    // starting has taken over 10 s to stop, before this change too).
    await new Promise((r) => setTimeout(r, 3000))
    await Promise.all(started.map(({ run }) => run.stop()))

    const missing = runCli(['validator', '--relay', url!, '--secret-file', join(dir, 'absent.secret')])
    await missing.waitFor(/webtensor: --secret-file \S+absent\.secret: no such file/)
    assert.equal(await new Promise((r) => missing.child.once('exit', r)), 2)
    writeFileSync(join(dir, 'empty.secret'), '\n')
    const empty = runCli(['validator', '--relay', url!, '--secret-file', join(dir, 'empty.secret')])
    await empty.waitFor(/webtensor: --secret-file \S+empty\.secret is empty/)
    assert.equal(await new Promise((r) => empty.child.once('exit', r)), 2)
    const none = runCli(['validator', '--relay', url!], { env: { ...process.env, WEBTENSOR_SECRET: undefined } })
    await none.waitFor(/validator needs --relay and a secret \(--wallet.name\/--wallet.hotkey, --secret-file PATH or WEBTENSOR_SECRET\)/)
    assert.equal(await new Promise((r) => none.child.once('exit', r)), 2)
    const bad = runCli(['validator', '--relay', url!], { env: { ...process.env, WEBTENSOR_SECRET: 'not a mnemonic//hidden-path' } })
    await bad.waitFor(/not a valid mnemonic or secret URI/)
    assert.notEqual(await new Promise((r) => (bad.child.exitCode !== null ? r(bad.child.exitCode) : bad.child.once('exit', r))), 0)
    assert.ok(!bad.output().includes('hidden-path'), bad.output())
    runs.push(missing, empty, none, bad)

    const all = [relay.output(), ...runs.map((r) => r.output())].join('\n')
    for (const { from, secret } of cases) assertNothingSecret(all, await forbidden(secret), `validator with a ${from} secret`)
  } catch (err) {
    console.error(`--- relay ---\n${relay.output().slice(-3000)}\n${runs.map((r, i) => `--- run ${i} ---\n${r.output().slice(-3000)}`).join('\n')}`)
    throw err
  } finally {
    for (const r of runs) await r.stop()
    await relay.stop()
  }
})
