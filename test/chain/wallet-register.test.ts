/**
 * `webtensor wallet register`: a btcli wallet's encrypted coldkey signs burned_register of its
 * hotkey on a real subtensor runtime (raonet, spec 218, run offline by chopsticks).
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { walletCommand } from '../../src/cli/wallet.ts'
import { hotkeyFromSecret, type Hotkey } from '../../src/identity/index.ts'
import { keyfileJson } from '../../src/identity/keyfile.ts'
import { raonetAvailable, startChopsticks, TAO, type Chopsticks } from '../support/chopsticks.ts'

const skip = raonetAvailable() ? false : 'needs ../shared/fixtures/subtensor/raonet.json next to the repo'
const testdata = (name: string): Buffer => readFileSync(new URL(`../../src/identity/testdata/${name}`, import.meta.url))
// The Ansible Vault coldkey of src/identity/testdata (its README gives the password).
const COLDKEY = '5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX'
const PASSWORD = 'correct horse battery staple'

let chain: Chopsticks
let owner: Hotkey
let hot: Hotkey
let netuid: number
const root = mkdtempSync(join(tmpdir(), 'wt-wallet-register-'))

before(async () => {
  if (skip !== false) return
  chain = await startChopsticks()
  owner = await hotkeyFromSecret('//RegisterOwner')
  hot = await hotkeyFromSecret('//RegisterHot')
  await chain.fund([owner.address], 100_000n * TAO)
  netuid = await chain.createSubnet(owner, { tempo: 10, targetRegistrationsPerInterval: 100, maxRegistrationsPerBlock: 100 })
  for (const name of ['rich', 'poor']) {
    mkdirSync(join(root, name, 'hotkeys'), { recursive: true })
    writeFileSync(join(root, name, 'hotkeys', 'default'), keyfileJson(hot))
    writeFileSync(join(root, name, 'coldkey'), testdata('coldkey.ansible'))
    writeFileSync(join(root, name, 'coldkeypub.txt'), '0xe4359ad3e2716c539a1d663ebd0a51bdc5c98a12e663bb4c4402db47828c9446')
  }
}, { timeout: 120_000 })

after(async () => {
  await chain?.close()
})

async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await walletCommand(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env })
  return { code, out, err }
}

const uidOnChain = async (hotkey: string): Promise<number | null> => {
  const v = (await chain.api.query.subtensorModule!.uids!(netuid, hotkey)) as unknown as { isSome: boolean; unwrap(): { toNumber(): number } }
  return v.isSome ? v.unwrap().toNumber() : null
}

test('the encrypted coldkey signs burned_register of the hotkey; the uid is on chain; a second run leaves it; no secret printed', { skip, timeout: 180_000 }, async () => {
  const flags = ['register', '--chain', chain.url, '--netuid', String(netuid), '--wallet.path', root, '--wallet.name', 'poor']
  // No password: a clear usage error, nothing sent.
  const locked = await run(flags)
  assert.equal(locked.code, 2)
  assert.match(locked.err, /the coldkey of wallet "poor" is encrypted: give its password with --coldkey-password-file PATH or WEBTENSOR_COLDKEY_PASSWORD/)
  // Wrong password: the keyfile says so.
  const wrong = await run(flags, { WEBTENSOR_COLDKEY_PASSWORD: 'not it' })
  assert.equal(wrong.code, 1)
  assert.match(wrong.err, /wrong password for this Ansible Vault keyfile/)
  // The right password but no balance: the chain refuses, and says why.
  const poor = await run(flags, { WEBTENSOR_COLDKEY_PASSWORD: PASSWORD })
  assert.equal(poor.code, 1, poor.out)
  assert.match(poor.err, /the chain refused burned_register: \w+/)
  assert.equal(await uidOnChain(hot.address), null)

  await chain.fund([COLDKEY], 1_000n * TAO)
  const rich = [...flags.slice(0, -1), 'rich', '--json']
  const done = await run(rich, { WEBTENSOR_COLDKEY_PASSWORD: PASSWORD })
  assert.equal(done.code, 0, done.err)
  const json = JSON.parse(done.out) as { hotkey: string; coldkey: string; netuid: number; uid: number; already: boolean }
  assert.equal(json.hotkey, hot.address)
  assert.equal(json.coldkey, COLDKEY)
  assert.equal(json.already, false)
  assert.equal(await uidOnChain(hot.address), json.uid)
  const owned = (await chain.api.query.subtensorModule!.owner!(hot.address)) as unknown as { toString(): string }
  assert.equal(owned.toString(), COLDKEY, 'the hotkey is owned by the coldkey that paid')

  const again = await run(rich.slice(0, -1), { WEBTENSOR_COLDKEY_PASSWORD: PASSWORD })
  assert.equal(again.code, 0, again.err)
  assert.equal(again.out, `${hot.address} already has uid ${json.uid} on subnet ${netuid}\n`)
  // Another hotkey (a mining page's, say), paid and signed by the same coldkey.
  const page = await hotkeyFromSecret('//RegisterPageHot')
  const other = await run([...rich.slice(0, -1), '--hotkey-ss58', page.address], { WEBTENSOR_COLDKEY_PASSWORD: PASSWORD })
  assert.equal(other.code, 0, other.err)
  assert.match(other.out, new RegExp(`^registered ${page.address} on subnet ${netuid}: uid \\d+ \\(block \\d+\\), paid by coldkey ${COLDKEY}\n$`))
  assert.notEqual(await uidOnChain(page.address), null)
  for (const text of [locked, wrong, poor, done, again, other].flatMap((r) => [r.out, r.err])) {
    assert.ok(!/correct horse|leopard|RegisterHot|privateKey|secretPhrase/.test(text), text)
  }
})

test('wallet register: bad flags exit 2 naming the flag', async () => {
  assert.match((await run(['register', '--netuid', '1'])).err, /--chain needs a ws:\/\/ or wss:\/\/ URL/)
  assert.match((await run(['register', '--chain', 'ws://127.0.0.1:1', '--netuid', 'x'])).err, /--netuid must be 0\.\.65535/)
  assert.equal((await run(['show', '--chain', 'ws://127.0.0.1:1'])).code, 2)
  assert.match((await run(['register', '--chain', 'ws://127.0.0.1:1', '--netuid', '1', '--hotkey-ss58', 'not-an-address'])).err, /--hotkey-ss58 "not-an-address" is not an SS58 address/)
})
