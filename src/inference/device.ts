/**
 * Device choice. WebGPU only with a real (hardware) adapter: a fallback adapter is a software
 * rasteriser (SwiftShader here), 20–50× slower than WASM, so `auto` picks WASM then. Forcing
 * `webgpu` still uses a fallback adapter — that is how tests exercise the WebGPU path.
 */
import { DeviceUnavailableError } from './errors.ts'
import { MODEL_DTYPES, type Device, type ModelDtype } from './types.ts'

const isNode = typeof process !== 'undefined' && process.release?.name === 'node'

/** The parts of WebGPU we read (kept structural: the DOM lib in use may not type `navigator.gpu`). */
export interface AdapterLike {
  isFallbackAdapter?: boolean
  features?: { has(name: string): boolean; forEach?(f: (v: string) => void): void }
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean }
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>
}

async function probeAdapter(): Promise<{ adapter: AdapterLike | null; why?: string }> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu
  if (!gpu) return { adapter: null, why: 'navigator.gpu is absent (no WebGPU in this browser/context)' }
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' })
    return adapter ? { adapter } : { adapter: null, why: 'requestAdapter() returned no adapter' }
  } catch (e) {
    return { adapter: null, why: `requestAdapter() failed: ${(e as Error).message}` }
  }
}

function describe(adapter: AdapterLike): string {
  const info = adapter.info ?? {}
  return [info.vendor, info.architecture, info.description].filter((s) => s).join(' ') || 'unnamed adapter'
}

const isFallback = (a: AdapterLike) => a.info?.isFallbackAdapter ?? a.isFallbackAdapter ?? false

function wasmDetail(): string {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true
  return isolated ? 'page is cross-origin isolated, WASM threads available' : 'not cross-origin isolated, WASM runs single-threaded'
}

/** Weight formats whose arithmetic is float16: on WebGPU they need the adapter's `shader-f16` feature. */
export const F16_DTYPES: readonly ModelDtype[] = ['fp16', 'q4f16']

const hasShaderF16 = (a: AdapterLike) => a.features?.has('shader-f16') === true

/** What this browser offers and what `chooseDevice` would pick for each dtype (the device check). */
export interface DeviceReport {
  webgpu: { available: false; why: string } | { available: true; fallback: boolean; description: string; features: string[] }
  crossOriginIsolated: boolean
  cores: number
  choices: Record<ModelDtype, { device: Device; reason: string } | { error: string }>
}

/**
 * The device check: the WebGPU adapter (info, features), threads, and the device `auto` would pick
 * for each dtype, with the reason. Example: `console.table((await deviceReport()).choices)`.
 */
export async function deviceReport(): Promise<DeviceReport> {
  const { adapter, why } = await probeAdapter()
  const features: string[] = []
  adapter?.features?.forEach?.((f) => features.push(f))
  const choices = {} as DeviceReport['choices']
  for (const dtype of MODEL_DTYPES) {
    choices[dtype] = await chooseDevice('auto', dtype).catch((e: unknown) => ({ error: (e as Error).message }))
  }
  return {
    webgpu: adapter ? { available: true, fallback: isFallback(adapter), description: describe(adapter), features: features.sort() } : { available: false, why: why ?? 'no adapter' },
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    cores: globalThis.navigator?.hardwareConcurrency ?? 1,
    choices,
  }
}

/**
 * Picks the device for `requested` (default `auto`) and says why. With a float16 `dtype` (fp16,
 * q4f16) WebGPU is used only on an adapter with `shader-f16`: `auto` falls back to WASM saying so,
 * a forced `webgpu` is refused.
 * Example: `const { device, reason } = await chooseDevice()`.
 */
export async function chooseDevice(requested: 'auto' | Device = 'auto', dtype: ModelDtype = 'fp32'): Promise<{ device: Device; reason: string }> {
  if (isNode) {
    if (requested === 'auto' || requested === 'cpu') return { device: 'cpu', reason: 'Node: onnxruntime-node on the CPU' }
    throw new DeviceUnavailableError(`device ${requested} is for browsers; Node runs onnxruntime-node (cpu)`)
  }
  if (requested === 'cpu') throw new DeviceUnavailableError('device cpu is Node-only; use wasm in a browser')
  if (requested === 'wasm') return { device: 'wasm', reason: `wasm forced by configuration (${wasmDetail()})` }
  return decideWebDevice(requested, dtype, await probeAdapter())
}

/**
 * The browser side of `chooseDevice` over a probed adapter (pure; exported for tests).
 * Example: `decideWebDevice('auto', 'q4f16', { adapter: null, why: 'no WebGPU' })` → wasm.
 */
export function decideWebDevice(requested: 'auto' | 'webgpu', dtype: ModelDtype, probe: { adapter: AdapterLike | null; why?: string }): { device: Device; reason: string } {
  const { adapter, why } = probe
  const f16 = F16_DTYPES.includes(dtype)
  if (requested === 'webgpu') {
    if (!adapter) throw new DeviceUnavailableError(`webgpu forced but unavailable: ${why}`)
    if (f16 && !hasShaderF16(adapter)) {
      throw new DeviceUnavailableError(`webgpu forced for ${dtype}, but the adapter (${describe(adapter)}) lacks shader-f16: float16 shaders cannot run there; use wasm, or a dtype without float16 arithmetic`)
    }
    const kind = isFallback(adapter) ? 'a software fallback adapter' : 'a hardware adapter'
    return { device: 'webgpu', reason: `webgpu forced by configuration, on ${kind} (${describe(adapter)})` }
  }
  if (!adapter) return { device: 'wasm', reason: `no usable WebGPU: ${why}; using wasm (${wasmDetail()})` }
  if (isFallback(adapter)) {
    return { device: 'wasm', reason: `WebGPU adapter is a software fallback (${describe(adapter)}), slower than wasm; using wasm (${wasmDetail()})` }
  }
  if (f16 && !hasShaderF16(adapter)) {
    return { device: 'wasm', reason: `WebGPU adapter (${describe(adapter)}) lacks shader-f16, needed for ${dtype}; using wasm (${wasmDetail()})` }
  }
  return { device: 'webgpu', reason: `WebGPU hardware adapter: ${describe(adapter)}${f16 ? ', with shader-f16' : ''}` }
}
