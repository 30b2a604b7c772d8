/** The device check page (device.html): `deviceReport()` shown as text, nothing loaded or run. */
import './style.css'
import { deviceReport } from '../inference/index.ts'

const $ = (id: string): HTMLElement => {
  const el = document.querySelector<HTMLElement>(`[data-testid="${id}"]`)
  if (!el) throw new Error(`device.html lacks ${id}`)
  return el
}

async function show(): Promise<void> {
  const r = await deviceReport()
  $('device-webgpu').textContent = r.webgpu.available
    ? `WebGPU adapter: ${r.webgpu.description}${r.webgpu.fallback ? ' (software fallback)' : ''}; shader-f16: ${r.webgpu.features.includes('shader-f16') ? 'yes' : 'no'}`
    : `No WebGPU: ${r.webgpu.why}`
  $('device-threads').textContent = `${r.cores} cores reported; ${r.crossOriginIsolated ? 'cross-origin isolated: WASM threads available' : 'not cross-origin isolated: WASM single-threaded'}`
  $('device-features').textContent = r.webgpu.available ? r.webgpu.features.join('\n') : '—'
  const body = $('device-choices').querySelector('tbody')!
  for (const [dtype, c] of Object.entries(r.choices)) {
    const row = body.insertRow()
    row.insertCell().textContent = dtype
    row.insertCell().textContent = 'device' in c ? c.device : 'none'
    row.insertCell().textContent = 'device' in c ? c.reason : c.error
  }
}

show().catch((e: unknown) => {
  $('device-webgpu').textContent = `device check failed: ${(e as Error).message}`
})
