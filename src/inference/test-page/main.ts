/**
 * Test page for `runner.browser.test.ts` and the inference bench: exposes the public API on
 * `window.webtensorInference` so Playwright can drive it.
 */
import * as inference from '../index.ts'

declare global {
  interface Window {
    webtensorInference: typeof inference
    webtensorReady: boolean
  }
}

window.webtensorInference = inference
window.webtensorReady = true
