import { test } from 'node:test'
import assert from 'node:assert/strict'
import { WebtensorError } from '../errors.ts'
import { singleShape } from './one-buffer-frames.ts'
import { checkPatchTarget, functionShape, nodePackageFinder, RuntimePatchError, type PatchTarget } from './patch-target.ts'
import { checkRuntimePatches, ensureRuntime, PATCH_TARGETS } from './runtime.ts'
import { YAMUX_WINDOW_TARGET } from './yamux-window.ts'

test('every runtime patch matches the installed versions and shapes, so ensureRuntime starts', async () => {
  const { find, findNested } = await nodePackageFinder()
  assert.equal(PATCH_TARGETS.length, 4)
  for (const target of PATCH_TARGETS) {
    assert.equal(target.shape(), null, target.patch)
    for (const [name, version] of Object.entries(target.versions)) assert.equal(find(name)?.version, version, `${target.patch}: ${name}`)
    checkPatchTarget(target, find, findNested)
  }
  await checkRuntimePatches()
  await ensureRuntime()
})

test('a patched package at another version is refused with the patch, the package, the expected and the found version', async () => {
  const { find, findNested } = await nodePackageFinder()
  const drifted: PatchTarget = { ...YAMUX_WINDOW_TARGET, versions: { '@libp2p/yamux': '8.0.2' } }
  const e = caught(() => checkPatchTarget(drifted, find, findNested))
  assert.ok(e instanceof WebtensorError)
  assert.equal(e.code, 'runtime_patch_mismatch')
  assert.equal(e.patch, 'yamux-window')
  assert.equal(e.packageName, '@libp2p/yamux')
  assert.equal(e.expected, '8.0.2')
  assert.equal(e.found, '8.0.3')
  assert.match(e.message, /yamux-window.*@libp2p\/yamux 8\.0\.2, found 8\.0\.3/)

  const absent: PatchTarget = { ...YAMUX_WINDOW_TARGET, versions: { '@libp2p/yamux': '8.0.3', 'no-such-package-here': '1.0.0' } }
  const missing = caught(() => checkPatchTarget(absent, find, findNested))
  assert.equal(missing.packageName, 'no-such-package-here')
  assert.equal(missing.found, 'not installed')
})

test('a changed shape is refused, with or without versions to compare (browsers check shapes only)', () => {
  const reshaped: PatchTarget = { ...YAMUX_WINDOW_TARGET, shape: () => functionShape(() => 0, 'YamuxStream.sendWindowUpdate', ['recvWindowCapacity']) }
  const e = caught(() => checkPatchTarget(reshaped))
  assert.equal(e.expected, 'shape')
  assert.equal(e.found, 'YamuxStream.sendWindowUpdate no longer uses recvWindowCapacity')
  // Without a package finder (a page), a version pin cannot be read, so only the shape counts.
  checkPatchTarget({ ...YAMUX_WINDOW_TARGET, versions: { '@libp2p/yamux': '0.0.1' } })
})

test('a consumer with its own, unpatched copy of the patched package is refused', () => {
  const target: PatchTarget = { patch: 'frame-decoder', patched: 'lib', versions: { lib: '1.0.0', user: '2.0.0' }, shape: () => null }
  const find = (name: string) => ({ lib: { version: '1.0.0', dir: '/nm/lib' }, user: { version: '2.0.0', dir: '/nm/user' } })[name] ?? null
  checkPatchTarget(target, find, () => null)
  checkPatchTarget(target, find, () => ({ version: '1.0.0', dir: '/nm/lib' }))
  const e = caught(() => checkPatchTarget(target, find, (dir, name) => (dir === '/nm/user' && name === 'lib' ? { version: '1.0.1', dir: '/nm/user/node_modules/lib' } : null)))
  assert.equal(e.packageName, 'lib')
  assert.match(e.found, /user has its own copy \(1\.0\.1\)/)
})

test('shape probes: a missing function, a function that no longer mentions what the patch uses, an encoder returning one buffer', () => {
  assert.equal(functionShape(undefined, 'X.decode'), 'no function X.decode')
  assert.equal(functionShape(function decode(this: { lengthDecoder: () => number }) { return this.lengthDecoder() }, 'X.decode', ['lengthDecoder']), null)
  assert.equal(singleShape(undefined), 'no function encode.single')
  assert.equal(singleShape((b: Uint8Array) => b), 'encode.single no longer returns a Uint8ArrayList')
  assert.match(singleShape(() => { throw new Error('boom') }) ?? '', /threw on a 3-byte frame: Error: boom/)
})

function caught(fn: () => void): RuntimePatchError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof RuntimePatchError, String(err))
    return err
  }
  assert.fail('no RuntimePatchError')
}
