// Opt-in (WEBTENSOR_HEAVY=1): the real argon2i of a wrong password, 8 passes over 512 MiB in pure
// JS (about 20 s of CPU; keyfile.test.ts runs the right password's once).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { decryptKeyfile, WrongPasswordError } from './keyfile.ts'

test('$NACL golden file: a wrong password, derived for real, is WrongPasswordError', async () => {
  const file = new Uint8Array(readFileSync(new URL('./testdata/coldkey.nacl', import.meta.url)))
  await assert.rejects(decryptKeyfile(file, 'correct horse battery stable'), (err: unknown) => err instanceof WrongPasswordError && err.code === 'wrong_password')
})
