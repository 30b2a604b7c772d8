import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hotkeyFromSecret } from '../identity/identity.ts'
import { keyfileJson } from '../identity/keyfile.ts'
import { resolveColdkeyPassword, resolveNodeSecret, resolveSecret, SecretSourceError, walletLocation } from './secret-source.ts'

const SECRET = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk//stash'
const dir = mkdtempSync(join(tmpdir(), 'wt-secret-source-'))

function file(name: string, content: string, mode = 0o600): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  chmodSync(path, mode)
  return path
}

function refused(sources: Parameters<typeof resolveSecret>[0], message: RegExp): void {
  assert.throws(
    () => resolveSecret(sources),
    (err: unknown) => {
      assert.ok(err instanceof SecretSourceError)
      assert.equal(err.code, 'bad_secret_source')
      assert.match(err.message, message)
      assert.ok(!err.message.includes('bottom') && !err.message.includes('stash'), err.message)
      return true
    },
  )
}

test('a secret file is read and trimmed, with no warning when only its owner can read it', () => {
  assert.deepEqual(resolveSecret({ secretFile: file('ok', `${SECRET}\n`) }), { secret: SECRET, from: 'file', warnings: [] })
})

test('a secret file others can read is used, with a warning to chmod it', () => {
  const path = file('open', SECRET, 0o644)
  const r = resolveSecret({ secretFile: path })
  assert.equal(r?.secret, SECRET)
  assert.deepEqual(r?.warnings, [`--secret-file ${path} can be read by other users (mode 644): chmod 600 ${path}`])
})

test('a missing, unreadable, empty or directory secret file is a clear error that does not quote anything secret', () => {
  refused({ secretFile: join(dir, 'nope') }, /--secret-file .*nope: no such file/)
  refused({ secretFile: file('empty', '') }, /--secret-file .*empty is empty/)
  refused({ secretFile: file('blank', ' \n\t\n') }, /--secret-file .*blank is empty/)
  refused({ secretFile: dir }, /is a directory, not a file/)
  refused({ secretFile: '' }, /--secret-file needs a path/)
  // Root reads any file, so permission errors are shown through a file system that refuses.
  const denied = { readFile: () => { throw Object.assign(new Error(`EACCES: ${SECRET}`), { code: 'EACCES' }) }, mode: () => 0o600 }
  assert.throws(() => resolveSecret({ secretFile: '/x/secret' }, denied), /--secret-file \/x\/secret: permission denied$/)
})

test('--secret still works, with a warning that argv is visible to other users', () => {
  const r = resolveSecret({ secret: SECRET })
  assert.equal(r?.secret, SECRET)
  assert.equal(r?.from, 'argv')
  assert.match(r?.warnings[0] ?? '', /other users of this machine can read it \(ps, \/proc\); use --secret-file PATH/)
  assert.ok(!r?.warnings[0]?.includes('bottom'))
  refused({ secret: '  ' }, /--secret is empty/)
})

test('WEBTENSOR_SECRET is used when no flag is given; a flag wins; an empty variable is an error; nothing at all is null', () => {
  assert.deepEqual(resolveSecret({ env: ` ${SECRET} ` }), { secret: SECRET, from: 'env', warnings: [] })
  assert.equal(resolveSecret({ env: '//Other', secretFile: file('flag', SECRET) })?.secret, SECRET)
  refused({ env: '' }, /WEBTENSOR_SECRET is set but empty/)
  refused({ secret: SECRET, secretFile: file('both', SECRET) }, /either --secret-file or --secret, not both/)
  assert.equal(resolveSecret({}), null)
})

test('the coldkey password comes from --coldkey-password-file or WEBTENSOR_COLDKEY_PASSWORD, never quoted in errors', () => {
  assert.deepEqual(resolveColdkeyPassword({ passwordFile: file('cold', 'hunter2 hunter2\n'), env: 'other' }), { secret: 'hunter2 hunter2', from: 'file', warnings: [] })
  assert.deepEqual(resolveColdkeyPassword({ env: 'pw from env' }), { secret: 'pw from env', from: 'env', warnings: [] })
  assert.match(resolveColdkeyPassword({ passwordFile: file('cold-open', 'x', 0o640) })?.warnings[0] ?? '', /^--coldkey-password-file .* can be read by other users \(mode 640\)/)
  assert.throws(() => resolveColdkeyPassword({ passwordFile: join(dir, 'none') }), /--coldkey-password-file .*none: no such file/)
  assert.throws(() => resolveColdkeyPassword({ env: ' ' }), /WEBTENSOR_COLDKEY_PASSWORD is set but empty/)
  assert.equal(resolveColdkeyPassword({}), null)
})

test('--wallet.* flags take the hotkey secret from a btcli hotkey file; with --secret too they are refused; a missing file names the btcli fix', async () => {
  assert.equal(walletLocation({}), null)
  assert.deepEqual(walletLocation({ 'wallet.name': 'w' }), { name: 'w', hotkey: undefined, path: undefined })
  const wallets = join(dir, 'wallets')
  mkdirSync(join(wallets, 'w', 'hotkeys'), { recursive: true })
  const hot = await hotkeyFromSecret(SECRET)
  writeFileSync(join(wallets, 'w', 'hotkeys', 'h'), keyfileJson(hot))
  const r = await resolveNodeSecret({ wallet: { path: wallets, name: 'w', hotkey: 'h' }, env: '//Ignored' })
  assert.equal(r?.from, 'wallet')
  assert.equal((await hotkeyFromSecret(r!.secret)).address, hot.address)
  await assert.rejects(resolveNodeSecret({ wallet: { path: wallets, name: 'w' }, secretFile: 'x' }), /either --wallet.name\/--wallet.hotkey or --secret-file\/--secret, not both/)
  await assert.rejects(resolveNodeSecret({ wallet: { path: wallets, name: 'w', hotkey: 'nope' } }), (err: unknown) => err instanceof SecretSourceError && /no keyfile at .*hotkeys\/nope \(create one with `btcli wallet new_hotkey --wallet.name w --wallet.hotkey nope`\)/.test(err.message))
  assert.equal((await resolveNodeSecret({ wallet: null, env: '//Alice' }))?.secret, '//Alice')
})
