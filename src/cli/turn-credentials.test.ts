import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { turnCredential } from './turn-credentials.ts'

test('TURN REST credentials: username expiry:id, credential base64 HMAC-SHA1 of it (checked against openssl)', () => {
  const c = turnCredential('north-wind', 3600, 1_700_000_000_500, 'tab7')
  assert.equal(c.username, '1700003600:tab7')
  const expected = execFileSync('sh', ['-c', `printf '%s' "$U" | openssl dgst -sha1 -hmac "$S" -binary | base64`], {
    env: { ...process.env, U: c.username, S: 'north-wind' },
  }).toString().trim()
  assert.equal(c.credential, expected)
  // Fresh ids by default: two pages never share a username.
  assert.notEqual(turnCredential('s', 60).username, turnCredential('s', 60).username)
})
