/**
 * Device choice. WebGPU only with a real (hardware) adapter: a fallback adapter is a software
 * rasteriser (SwiftShader here), 20–50× slower than WASM, so `auto` picks WASM then. Forcing
 * `webgpu` still uses a fallback adapter — that is how tests exercise the WebGPU path.
 */
import { DeviceUnavailableError } from './errors.ts'
import type { Device } from './types.ts'

const isNode = typeof process !== 'undefined' && process.release?.name === 'node'

/** The parts of WebGPU we read (kept structural: the DOM lib in use may not type `navigator.gpu`). */
interface AdapterLike {
  isFallbackAdapter?: boolean
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

/**
 * Picks the device for `requested` (default `auto`) and says why.
 * Example: `const { device, reason } = await chooseDevice()`.
 */
export async function chooseDevice(requested: 'auto' | Device = 'auto'): Promise<{ device: Device; reason: string }> {
  if (isNode) {
    if (requested === 'auto' || requested === 'cpu') return { device: 'cpu', reason: 'Node: onnxruntime-node on the CPU' }
    throw new DeviceUnavailableError(`device ${requested} is for browsers; Node runs onnxruntime-node (cpu)`)
  }
  if (requested === 'cpu') throw new DeviceUnavailableError('device cpu is Node-only; use wasm in a browser')
  if (requested === 'wasm') return { device: 'wasm', reason: `wasm forced by configuration (${wasmDetail()})` }
  const { adapter, why } = await probeAdapter()
  if (requested === 'webgpu') {
    if (!adapter) throw new DeviceUnavailableError(`webgpu forced but unavailable: ${why}`)
    const kind = isFallback(adapter) ? 'a software fallback adapter' : 'a hardware adapter'
    return { device: 'webgpu', reason: `webgpu forced by configuration, on ${kind} (${describe(adapter)})` }
  }
  if (!adapter) return { device: 'wasm', reason: `no usable WebGPU: ${why}; using wasm (${wasmDetail()})` }
  if (isFallback(adapter)) {
    return { device: 'wasm', reason: `WebGPU adapter is a software fallback (${describe(adapter)}), slower than wasm; using wasm (${wasmDetail()})` }
  }
  return { device: 'webgpu', reason: `WebGPU hardware adapter: ${describe(adapter)}` }
}
