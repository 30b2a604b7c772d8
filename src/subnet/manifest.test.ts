import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parseManifest, ManifestError } from './manifest.ts'
import { hotkeyFromSecret } from '../identity/identity.ts'
import { ONNX_FILE_OF_DTYPE } from '../inference/model-files.ts'
import { MODEL_DTYPES } from '../inference/types.ts'
import { MIN_CHOICE_TOLERANCE, MIN_LOGPROB_TOLERANCE } from '../inference/dtype-tolerance.ts'

const raw = JSON.parse(readFileSync(new URL('../../subnets/default.json', import.meta.url), 'utf8'))

test('the default manifest parses', () => {
  const m = parseManifest(raw)
  assert.equal(m.netuid, 1)
  assert.equal(m.validators.length, 1)
  assert.equal(m.model.id, 'webtensor/tiny-gpt2')
})

test('the default manifest dev secrets derive its hotkeys', async () => {
  const m = parseManifest(raw)
  assert.equal((await hotkeyFromSecret(m.owner.devSecret!)).address, m.owner.hotkey)
  for (const v of m.validators) assert.equal((await hotkeyFromSecret(v.devSecret!)).address, v.hotkey)
})

test('bad fields are named in the error', () => {
  const bad = structuredClone(raw)
  bad.chain.tempo = 0
  assert.throws(() => parseManifest(bad), (e: unknown) => e instanceof ManifestError && /chain\.tempo/.test(e.message))
  const bad2 = structuredClone(raw)
  bad2.validators[0].stake = '-5'
  assert.throws(() => parseManifest(bad2), /validators\[0\]\.stake/)
  const bad3 = structuredClone(raw)
  bad3.owner.hotkey = 'not-an-address'
  assert.throws(() => parseManifest(bad3), /owner\.hotkey/)
})

test('the default model made on this machine is byte-identical to the manifest pin', async () => {
  const { mkdtempSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { makeTestModel } = await import('../inference/index.ts')
  const m = parseManifest(raw)
  assert.ok(m.model.integrity !== null, 'the default manifest pins its model')
  const made = await makeTestModel('tiny-gpt2', join(mkdtempSync(join(tmpdir(), 'wt-model-')), 'tiny-gpt2'))
  // The default subnet runs fp32: it pins those files; the folder also holds the other dtypes' weights.
  const others = Object.values(ONNX_FILE_OF_DTYPE).filter((f) => f !== 'onnx/model.onnx')
  assert.deepEqual(Object.keys(made.files).sort(), [...Object.keys(m.model.integrity!.files), ...others].sort())
  for (const [file, pin] of Object.entries(m.model.integrity!.files)) assert.deepEqual(made.files[file], pin, file)
})

test('model.dtype: fp32 by default, one of the transformers.js dtypes, and its ONNX file must be pinned', () => {
  assert.equal(parseManifest(raw).model.dtype, 'fp32')
  const with_ = (dtype: unknown) => ({ ...raw, model: { ...(raw as { model: object }).model, dtype } })
  assert.throws(() => parseManifest(with_('int3')), /model\.dtype must be one of fp32, fp16, q8, q4, q4f16, got "int3"/)
  assert.throws(() => parseManifest(with_('q8')), /model\.integrity pins no onnx\/model_quantized\.onnx, the file dtype q8 runs/)
})

test('task.logprobTolerance and task.choiceTolerance must cover the measured cross-backend gaps of model.dtype', () => {
  const base = raw as { task: object; model: { integrity: { files: Record<string, unknown> } } }
  const pin = { size: 1, sha256: '0'.repeat(64) }
  const subnet = (dtype: string, logprobTolerance: number, choiceTolerance = MIN_CHOICE_TOLERANCE[dtype as 'q8']) => ({
    ...raw,
    task: { ...base.task, logprobTolerance, choiceTolerance },
    model: { ...base.model, dtype, integrity: { files: { ...base.model.integrity.files, [ONNX_FILE_OF_DTYPE[dtype as 'q8']]: pin } } },
  })
  for (const dtype of MODEL_DTYPES) {
    const floor = MIN_LOGPROB_TOLERANCE[dtype]
    assert.equal(parseManifest(subnet(dtype, floor)).model.dtype, dtype)
    assert.throws(() => parseManifest(subnet(dtype, floor / 2)), new RegExp(`task\\.logprobTolerance must be at least ${floor} for model\\.dtype ${dtype}`))
    const choice = MIN_CHOICE_TOLERANCE[dtype]
    assert.throws(() => parseManifest(subnet(dtype, floor, choice / 2)), new RegExp(`task\\.choiceTolerance must be at least ${choice} for model\\.dtype ${dtype}`))
  }
  // The default subnet (fp32) sits at fp32's floors.
  assert.equal(parseManifest(raw).task.name, 'text-generation')
})

test('a hub model defaults to the Hugging Face hub; a mirror can be named', () => {
  const hub = structuredClone(raw)
  hub.model = { id: 'Xenova/distilgpt2', source: 'hub', integrity: null }
  assert.equal(parseManifest(hub).model.remoteHost, 'https://huggingface.co')
  hub.model.remoteHost = 'http://mirror.example:8080'
  assert.equal(parseManifest(hub).model.remoteHost, 'http://mirror.example:8080')
  assert.equal(parseManifest(raw).model.remoteHost, undefined)
})

test('network.iceServers: optional, checked, named in errors', () => {
  assert.deepEqual(parseManifest(raw).network, { iceServers: [] })
  const ok = structuredClone(raw)
  ok.network = { iceServers: [{ urls: 'stun:stun.example.org:3478' }, { urls: ['turn:turn.example.org:3478?transport=udp'], username: 'u', credential: 'p' }] }
  assert.deepEqual(parseManifest(ok).network.iceServers, [
    { urls: ['stun:stun.example.org:3478'] },
    { urls: ['turn:turn.example.org:3478?transport=udp'], username: 'u', credential: 'p' },
  ])
  const cases: [unknown, RegExp][] = [
    [[], /^subnet manifest: network must be an object/],
    [{ iceServers: 'stun:x' }, /^subnet manifest: network\.iceServers must be an array/],
    [{ iceServers: [{ urls: 'turn:x:3478' }] }, /^subnet manifest: network\.iceServers\[0\] has TURN URLs and needs both username and credential/],
    [{ iceServers: [{ urls: 'ftp://x' }] }, /^subnet manifest: network\.iceServers\[0\]\.urls\[0\] must be a stun:/],
    [{ stun: [] }, /^subnet manifest: network\.stun is not a known field/],
  ]
  for (const [network, re] of cases) {
    const bad = structuredClone(raw)
    bad.network = network
    assert.throws(() => parseManifest(bad), (e: unknown) => e instanceof ManifestError && e.code === 'bad_manifest' && re.test(e.message), String(re))
  }
})

test('genesis rules: whole-rao stake threshold, one hotkey per genesis neuron, room for them all', () => {
  const base = JSON.parse(readFileSync(new URL('../../subnets/default.json', import.meta.url), 'utf8')) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON patches
  const refused = (patch: (m: Record<string, any>) => void, field: RegExp): void => { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON patches
    const m = structuredClone(base)
    patch(m)
    assert.throws(() => parseManifest(m), field)
  }
  refused((m) => (m.hyperparams.stake_threshold = 1.5), /hyperparams\.stake_threshold/)
  refused((m) => (m.hyperparams.stake_threshold = -1), /hyperparams\.stake_threshold/)
  refused((m) => m.validators.push({ ...m.validators[0] }), /validators name .* twice/)
  refused((m) => (m.validators[0].hotkey = m.owner.hotkey), /twice/)
  refused((m) => {
    m.chain.maxAllowedUids = 2
    m.validators.push({ hotkey: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY', stake: '1' })
  }, /more than chain\.maxAllowedUids/)
  assert.doesNotThrow(() => parseManifest(base))
})
