/**
 * The widget's decisions that need no DOM: the remembered choice (per server origin), when to
 * pause, and the phase shown to the host page. Pure, so they are unit-tested in Node.
 */

/** What a visitor chose for a server origin: `granted` starts mining on later visits, `stopped` waits for a click. */
export type Consent = 'granted' | 'stopped'

/** The part of `localStorage` the widget uses (the host page's storage: keys are namespaced). */
export interface ConsentStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

/** The storage key of the choice for one server: one choice per server origin, not per host page path. */
export function consentKey(serverOrigin: string): string {
  return `webtensor-miner:consent:${serverOrigin}`
}

/** The remembered choice for `serverOrigin`, or null (none, unreadable storage, or a value not ours). */
export function readConsent(storage: ConsentStorage | null, serverOrigin: string): Consent | null {
  try {
    const v = storage?.getItem(consentKey(serverOrigin)) ?? null
    return v === 'granted' || v === 'stopped' ? v : null
  } catch {
    return null
  }
}

/** Remembers the choice; a storage that refuses (private mode, quota, sandbox) just forgets it. */
export function writeConsent(storage: ConsentStorage | null, serverOrigin: string, consent: Consent): void {
  try {
    storage?.setItem(consentKey(serverOrigin), consent)
  } catch {
    // Not remembered: the next visit asks again, which is the safe side.
  }
}

/** What the Battery Status API says, where a browser has it. */
export interface BatteryReading {
  charging: boolean
  /** 0..1 */
  level: number
}

/** Below this charge, on battery, the widget pauses (browsers do not expose "battery saver" itself). */
export const LOW_BATTERY = 0.2

/** Why the model must not run now, or null: a hidden tab, or a low battery that is not charging. */
export function pauseReason(context: { hidden: boolean; battery: BatteryReading | null }): string | null {
  if (context.hidden) return 'the tab is hidden'
  const b = context.battery
  if (b !== null && !b.charging && b.level <= LOW_BATTERY) return `the battery is low (${Math.round(b.level * 100)} %) and not charging`
  return null
}

/** The phases the element reports in its `state` event (`detail.phase`). */
export type WidgetPhase = 'idle' | 'starting' | 'loading-model' | 'joining' | 'mining' | 'validating' | 'paused' | 'stopped' | 'error'

/** The element's phase from the session's, the pause and whether the visitor stopped it. */
export function widgetPhase(session: 'idle' | 'starting' | 'loading-model' | 'joining' | 'mining' | 'validating' | 'error', paused: boolean, stopped: boolean): WidgetPhase {
  if (stopped) return 'stopped'
  if (paused && (session === 'mining' || session === 'validating')) return 'paused'
  return session
}

/** A reward worth telling the host page: a new epoch in which this uid has an incentive. */
export interface RewardDetail {
  uid: number
  incentive: number
  epoch: number
}

/** The `reward` event's detail when `now` brings an epoch not reported yet, else null. */
export function newReward(now: { uid: number | null; incentive: number | null; epoch: number | null }, lastEpoch: number | null): RewardDetail | null {
  if (now.uid === null || now.incentive === null || now.epoch === null) return null
  if (lastEpoch !== null && now.epoch <= lastEpoch) return null
  return { uid: now.uid, incentive: now.incentive, epoch: now.epoch }
}

/** The source of the module that loads the worker script `scriptUrl` (absolute) in a `blob:` worker. */
export function workerShimSource(scriptUrl: string): string {
  return `import ${JSON.stringify(scriptUrl)};\n`
}
