import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hotkeyFromSecret } from '../identity/identity.ts'
import { keyfileJson } from '../identity/keyfile.ts'
import { walletCommand } from './wallet.ts'

const testdata = (name: string): Buffer => readFileSync(new URL(`../identity/testdata/${name}`, import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'wt-wallet-cli-'))

async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await walletCommand(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env })
  return { code, out, err }
}

test('wallet show prints the hotkey and coldkey addresses and the coldkey format, never a secret; with the password it checks the coldkey', async () => {
  const dir = join(root, 'w')
  mkdirSync(join(dir, 'hotkeys'), { recursive: true })
  const hot = await hotkeyFromSecret('//ShowHot')
  writeFileSync(join(dir, 'hotkeys', 'h1'), keyfileJson(hot))
  writeFileSync(join(dir, 'coldkey'), testdata('coldkey.ansible'))
  writeFileSync(join(dir, 'coldkeypub.txt'), '0xe4359ad3e2716c539a1d663ebd0a51bdc5c98a12e663bb4c4402db47828c9446')
  const flags = ['show', '--wallet.path', root, '--wallet.name', 'w', '--wallet.hotkey', 'h1']
  const shown = await run(flags)
  assert.equal(shown.code, 0, shown.err)
  assert.match(shown.out, new RegExp(`hotkey +${hot.address}\\n`))
  assert.match(shown.out, /coldkeypub +5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX\n/)
  assert.match(shown.out, /coldkey_file +Ansible Vault encrypted\n/)
  const pwFile = join(root, 'pw')
  writeFileSync(pwFile, 'correct horse battery staple\n')
  chmodSync(pwFile, 0o600)
  const opened = await run([...flags, '--coldkey-password-file', pwFile, '--json'])
  assert.equal(opened.code, 0, opened.err)
  const json = JSON.parse(opened.out) as Record<string, unknown>
  assert.equal(json.coldkey, '5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX (decrypted; matches coldkeypub.txt)')
  const wrong = await run(flags, { WEBTENSOR_COLDKEY_PASSWORD: 'not it' })
  assert.equal(wrong.code, 1)
  assert.match(wrong.err, /coldkey: wrong password for this Ansible Vault keyfile/)
  for (const text of [shown.out, opened.out, wrong.out, wrong.err]) {
    assert.ok(!/leopard|ShowHot|correct horse|privateKey|0x1f1995/.test(text), text)
  }
  const missing = await run(['show', '--wallet.path', root, '--wallet.name', 'w', '--wallet.hotkey', 'none'])
  assert.equal(missing.code, 1)
  assert.match(missing.err, /hotkey: no keyfile at .*hotkeys\/none/)
  assert.equal((await run(['list'])).code, 2)
  assert.equal((await run(['show', '--wallet.name', '../x'])).code, 2)
})
