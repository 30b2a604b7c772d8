/**
 * Test page for `runner.browser.test.ts` and the inference bench: exposes the public API and the
 * bench measurements on `window` so Playwright can drive them.
 */
import * as inference from '../index.ts'
import * as measure from './measure.ts'
import * as opfs from './opfs.ts'
import { OpfsModelStore } from '../web/opfs-store.ts'

declare global {
  interface Window {
    webtensorInference: typeof inference
    webtensorMeasure: typeof measure
    webtensorOpfs: typeof opfs
    webtensorOpfsStore: typeof OpfsModelStore
    webtensorReady: boolean
  }
}

window.webtensorInference = inference
window.webtensorMeasure = measure
window.webtensorOpfs = opfs
window.webtensorOpfsStore = OpfsModelStore
window.webtensorReady = true
