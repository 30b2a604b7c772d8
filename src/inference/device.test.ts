import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decideWebDevice, type AdapterLike } from './device.ts'
import { DeviceUnavailableError } from './errors.ts'

const adapter = (o: { fallback?: boolean; features?: string[] }): AdapterLike => ({
  info: { vendor: 'acme', architecture: 'gpu9', isFallbackAdapter: o.fallback ?? false },
  features: new Set(o.features ?? []),
})

test('float16 dtypes use WebGPU only on an adapter with shader-f16: auto falls back to wasm saying why, forced is refused', () => {
  const noF16 = { adapter: adapter({}) }
  for (const dtype of ['fp16', 'q4f16'] as const) {
    const auto = decideWebDevice('auto', dtype, noF16)
    assert.equal(auto.device, 'wasm')
    assert.match(auto.reason, new RegExp(`lacks shader-f16, needed for ${dtype}`))
    assert.throws(() => decideWebDevice('webgpu', dtype, noF16), (e: unknown) => e instanceof DeviceUnavailableError && /lacks shader-f16/.test(e.message))
    const withF16 = decideWebDevice('auto', dtype, { adapter: adapter({ features: ['shader-f16'] }) })
    assert.equal(withF16.device, 'webgpu')
    assert.match(withF16.reason, /with shader-f16/)
  }
  // Float32 arithmetic needs no shader-f16.
  for (const dtype of ['fp32', 'q8', 'q4'] as const) assert.equal(decideWebDevice('auto', dtype, noF16).device, 'webgpu')
})

test('a fallback adapter or none means wasm under auto; forced webgpu without an adapter is refused', () => {
  assert.match(decideWebDevice('auto', 'fp32', { adapter: adapter({ fallback: true, features: ['shader-f16'] }) }).reason, /software fallback/)
  assert.equal(decideWebDevice('auto', 'fp16', { adapter: null, why: 'navigator.gpu is absent' }).device, 'wasm')
  assert.throws(() => decideWebDevice('webgpu', 'fp32', { adapter: null, why: 'x' }), DeviceUnavailableError)
  assert.equal(decideWebDevice('webgpu', 'fp32', { adapter: adapter({ fallback: true }) }).device, 'webgpu')
})
