import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { yumaCommand } from './yuma.ts'
import { epochDigest, runEpoch, runEpochSequence, type EpochInput } from '../scoring/index.ts'

const input: EpochInput = {
  n: 3, block: 100, emission: '1000000000', stake: [10, 5, 0], validator_permit: [true, true, false],
  last_update: [100, 100, 0], block_at_registration: [0, 0, 0], weights: [[[2, 65535]], [[2, 65535]], []],
}

async function run(argv: string[], stdinText = '') {
  const stdin = new PassThrough()
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (d) => { out += d })
  stderr.on('data', (d) => { err += d })
  stdin.end(stdinText)
  const code = await yumaCommand(argv, { stdin, stdout, stderr })
  return { code, out, err }
}

test('yuma run reads an epoch from stdin and prints the exact output', async () => {
  const { code, out } = await run(['run'], JSON.stringify(input))
  assert.equal(code, 0)
  assert.deepEqual(JSON.parse(out), runEpoch(input))
})

test('yuma run --mode fast FILE, and sequences print an array', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'yuma-cli-'))
  const file = join(dir, 'seq.json')
  const seq = { initial: input, steps: [{ block: 101 }, { block: 102, reset_bonds_for_uid: 2 }] }
  await writeFile(file, JSON.stringify(seq))
  const { code, out } = await run(['run', '--mode', 'fast', file])
  assert.equal(code, 0)
  assert.deepEqual(JSON.parse(out), runEpochSequence(seq, { mode: 'fast' }))
  const digests = await run(['run', '--digest', file])
  assert.deepEqual(digests.out.trim().split('\n'), runEpochSequence(seq).map(epochDigest))
})

test('yuma run reports bad input with the field and exit code 2', async () => {
  const bad = await run(['run', '-'], JSON.stringify({ ...input, stake: [1, 2] }))
  assert.equal(bad.code, 2)
  assert.match(bad.err, /stake: expected length n = 3/)
  const notJson = await run(['run'], '{')
  assert.equal(notJson.code, 2)
  const badMode = await run(['run', '--mode', 'slow'], JSON.stringify(input))
  assert.equal(badMode.code, 2)
  assert.equal((await run(['run', '--help'])).code, 0)
})
