/**
 * The embeddable miner: `<script type="module" src="https://SERVER/widget.js"></script>` defines
 * `<webtensor-miner server="https://SERVER" netuid="1" throttle="0.5">`. Built into one script by
 * vite.widget.config.ts and served by `webtensor start` at `/widget.js`.
 */
import { WebtensorMinerElement } from './element.ts'

export { WebtensorMinerElement, type WebtensorMinerEvents, type WebtensorMinerStatus } from './element.ts'
export { type WidgetPhase } from './policy.ts'

/** The element's tag name. */
export const TAG = 'webtensor-miner'

/** Defines `<webtensor-miner>` (once; a second script tag is harmless). */
export function defineWebtensorMiner(registry: CustomElementRegistry = customElements): void {
  if (registry.get(TAG) === undefined) registry.define(TAG, WebtensorMinerElement)
}

defineWebtensorMiner()
