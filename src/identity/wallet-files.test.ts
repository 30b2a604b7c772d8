import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { hotkeyFromSecret } from './identity.ts'
import { KeyfileError, keyfileJson, WrongPasswordError } from './keyfile.ts'
import { coldkeyEncryption, loadColdkeyFile, loadWallet, walletFiles } from './wallet-files.ts'

const golden = (name: string): Buffer => readFileSync(new URL(`./testdata/${name}`, import.meta.url))
const PASSWORD = 'correct horse battery staple'
const COLD = '5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX'
const root = mkdtempSync(join(tmpdir(), 'wt-wallets-'))

/** A wallet laid out as btcli does: coldkey, coldkeypub.txt, hotkeys/<hotkey>. */
async function makeWallet(name: string, coldkey: Buffer | null, hotkeySecret = '//WalletHot'): Promise<string> {
  const dir = join(root, name)
  mkdirSync(join(dir, 'hotkeys'), { recursive: true })
  writeFileSync(join(dir, 'hotkeys', 'default'), keyfileJson(await hotkeyFromSecret(hotkeySecret)), { mode: 0o600 })
  if (coldkey !== null) writeFileSync(join(dir, 'coldkey'), coldkey, { mode: 0o600 })
  const pub = JSON.parse(golden('coldkey.json').toString()) as Record<string, string>
  writeFileSync(join(dir, 'coldkeypub.txt'), JSON.stringify({ accountId: pub.accountId, publicKey: pub.publicKey, ss58Address: pub.ss58Address }))
  return (await hotkeyFromSecret(hotkeySecret)).address
}

test('walletFiles lays out btcli paths, expands ~, and refuses names that leave the wallet folder', () => {
  assert.deepEqual(walletFiles({ name: 'w', hotkey: 'h', path: '/x' }), { dir: '/x/w', coldkey: '/x/w/coldkey', coldkeypub: '/x/w/coldkeypub.txt', hotkey: '/x/w/hotkeys/h' })
  assert.equal(walletFiles().hotkey, join(homedir(), '.bittensor/wallets/default/hotkeys/default'))
  for (const bad of ['../x', 'a/b', '..', '']) {
    assert.throws(() => walletFiles({ name: bad }), (err: unknown) => err instanceof KeyfileError && err.code === 'bad_wallet_name')
  }
})

test('a wallet with an Ansible Vault coldkey: hotkey and coldkeypub load without a password; the password opens the coldkey; a wrong one is WrongPasswordError', async () => {
  const hot = await makeWallet('ansible', golden('coldkey.ansible'))
  const closed = await loadWallet({ path: root, name: 'ansible' })
  assert.equal(closed.hotkey.address, hot)
  assert.equal(closed.coldkeypub.address, COLD)
  assert.equal(closed.coldkey, undefined)
  assert.equal(coldkeyEncryption({ path: root, name: 'ansible' }), 'ansible')
  const open = await loadWallet({ path: root, name: 'ansible', password: PASSWORD })
  assert.equal(open.coldkey?.address, COLD)
  // The coldkey signs (registration), verifiably for the coldkeypub address.
  const message = new TextEncoder().encode('burned_register')
  assert.ok(open.hotkey.pair.verify(message, open.coldkey!.sign(message), open.coldkeypub.publicKey))
  await assert.rejects(loadWallet({ path: root, name: 'ansible', password: 'nope' }), (err: unknown) => err instanceof WrongPasswordError)
  // Printing a loaded wallet shows no secret.
  const printed = JSON.stringify(open)
  assert.ok(!printed.includes('leopard') && !printed.includes('WalletHot'), printed.slice(0, 200))
})

test('an unencrypted coldkey loads without a password; a coldkey that is not coldkeypub.txt\'s key is refused', async () => {
  await makeWallet('plain', golden('coldkey.json'))
  assert.equal((await loadWallet({ path: root, name: 'plain' })).coldkey?.address, COLD)
  await makeWallet('swapped', Buffer.from(keyfileJson(await hotkeyFromSecret('//Mallory'))))
  await assert.rejects(loadWallet({ path: root, name: 'swapped' }), (err: unknown) => err instanceof KeyfileError && err.code === 'address_mismatch' && /coldkeypub\.txt says 5HDvhV6/.test(err.message))
})

test('missing or damaged files say which file and what btcli command makes it', async () => {
  await makeWallet('nocold', null)
  const w = await loadWallet({ path: root, name: 'nocold' })
  assert.equal(w.coldkey, undefined)
  await assert.rejects(loadColdkeyFile({ path: root, name: 'nocold' }, PASSWORD), (err: unknown) => err instanceof KeyfileError && err.code === 'no_keyfile' && /btcli wallet regen_coldkey --wallet.name nocold/.test(err.message))
  await assert.rejects(loadWallet({ path: root, name: 'nocold', hotkey: 'other' }), (err: unknown) => err instanceof KeyfileError && err.code === 'no_keyfile' && /hotkeys\/other .*btcli wallet new_hotkey --wallet.name nocold --wallet.hotkey other/.test(err.message))
  writeFileSync(join(root, 'nocold', 'hotkeys', 'bad'), '{"secretPhrase": "not twelve words"}')
  await assert.rejects(loadWallet({ path: root, name: 'nocold', hotkey: 'bad' }), (err: unknown) => err instanceof KeyfileError && err.code === 'bad_keyfile' && /hotkey file .*hotkeys\/bad: .*btcli wallet regen_hotkey --wallet.name nocold --wallet.hotkey bad/.test(err.message) && !err.message.includes('twelve'))
  writeFileSync(join(root, 'nocold', 'coldkey'), '$ANSIBLE_VAULT;1.1;AES\n3132\n')
  await assert.rejects(loadColdkeyFile({ path: root, name: 'nocold' }, PASSWORD), (err: unknown) => err instanceof KeyfileError && err.code === 'unsupported_keyfile' && /only AES256.*btcli wallet regen_coldkey/.test(err.message))
})
