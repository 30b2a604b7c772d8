import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseCommandArgs } from './args.ts'

function io() {
  const out = { stdout: '', stderr: '' }
  return { out, io: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } } }
}
const OPTIONS = { json: { type: 'boolean', default: false }, owner: { type: 'string' } } as const

test('flags and positionals parse strictly', () => {
  const { io: w, out } = io()
  const a = parseCommandArgs('verify', 'USAGE\n', ['--json', 'log.jsonl', '--owner', '5Abc'], OPTIONS, w)
  assert.equal(a.exit, undefined)
  if (a.exit !== undefined) return
  assert.deepEqual({ json: a.values.json, owner: a.values.owner, positionals: a.positionals }, { json: true, owner: '5Abc', positionals: ['log.jsonl'] })
  assert.equal(out.stdout + out.stderr, '')
})

test('--help prints the usage to stdout and exits 0', () => {
  const { io: w, out } = io()
  assert.deepEqual(parseCommandArgs('verify', 'USAGE\n', ['x', '-h'], OPTIONS, w), { exit: 0 })
  assert.equal(out.stdout, 'USAGE\n')
})

test('"-h" after "--" is a positional, not a help request', () => {
  const { io: w } = io()
  const a = parseCommandArgs('ask', 'USAGE\n', ['--', '-h'], OPTIONS, w)
  assert.ok(a.exit === undefined && a.positionals[0] === '-h')
})

test('an unknown flag names itself, prints the usage and exits 2', () => {
  const { io: w, out } = io()
  assert.deepEqual(parseCommandArgs('verify', 'USAGE\n', ['--nope'], OPTIONS, w), { exit: 2 })
  assert.match(out.stderr, /^webtensor verify: .*--nope[\s\S]*USAGE\n$/)
  assert.equal(out.stdout, '')
})
