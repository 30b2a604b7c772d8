import { WebtensorError } from '../errors.ts'
import { parseThrottle } from '../node/busy-budget.ts'
import type { MiningSession, SessionState } from '../app/session.ts'
import { newReward, pauseReason, readConsent, widgetPhase, writeConsent, type BatteryReading, type ConsentStorage, type WidgetPhase } from './policy.ts'

/** What the element tells its host page, as DOM events on itself (they bubble and leave the shadow root). */
export interface WebtensorMinerEvents {
  state: { phase: WidgetPhase; reason: string | null }
  reward: { uid: number; incentive: number; epoch: number }
  error: { message: string; code: string }
}

/** A read-only view of the element's session, for the host page and for tests. */
export interface WebtensorMinerStatus {
  phase: WidgetPhase
  pauseReason: string | null
  hotkey: string | null
  uid: number | null
  queriesAnswered: number
  queriesRefused: Record<string, number>
  incentive: number | null
  epoch: number | null
  device: string | null
}

/** The part of the session's state the widget shows. */
type View = Pick<SessionState, 'phase' | 'error' | 'hotkey' | 'device' | 'progress' | 'uid' | 'queriesAnswered' | 'queriesRefused' | 'incentive' | 'epoch'>
const IDLE: View = { phase: 'idle', error: null, hotkey: null, device: null, progress: 0, uid: null, queriesAnswered: 0, queriesRefused: {}, incentive: null, epoch: null }

const STYLE = `
:host { display: block; font: 14px/1.4 system-ui, sans-serif; color: #0f172a; max-width: 28rem; }
.box { border: 1px solid #cbd5e1; border-radius: 10px; padding: 0.8rem 1rem; background: #fff; }
h2 { font-size: 1rem; margin: 0 0 0.3rem; }
p { margin: 0.3rem 0; }
.muted { color: #475569; }
.actions { display: flex; gap: 0.5rem; margin: 0.5rem 0; }
button { font: inherit; padding: 0.4rem 1rem; border-radius: 6px; border: 1px solid #0369a1; background: #0284c7; color: #fff; cursor: pointer; }
button.stop { background: #fff; color: #0f172a; border-color: #64748b; }
button:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
progress { width: 100%; }
.error { color: #b91c1c; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 0.1rem 0.6rem; margin: 0.4rem 0 0; }
dt { color: #475569; }
dd { margin: 0; font-variant-numeric: tabular-nums; }
[hidden] { display: none !important; }
`

const PHASE_TEXT: Record<WidgetPhase, string> = {
  idle: 'Not mining. Nothing runs and nothing is downloaded until you press Start.',
  starting: 'Starting…',
  'loading-model': 'Loading the model…',
  joining: 'Joining the network…',
  mining: 'Mining: answering validators\u2019 queries.',
  validating: 'Validating.',
  paused: 'Paused',
  stopped: 'Stopped. Nothing runs until you press Start again.',
  error: 'Stopped by an error.',
}

/** The markup of the shadow root: static; everything from the network goes in with textContent. */
function build(root: ShadowRoot): Record<string, HTMLElement> {
  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] => {
    const e = document.createElement(tag)
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
    if (text !== '') e.textContent = text
    return e
  }
  const box = el('section', { class: 'box', part: 'box', 'aria-label': 'webtensor miner' })
  const title = el('h2', {}, 'Lend this tab\u2019s spare time to webtensor')
  const intro = el('p', { class: 'muted', 'data-testid': 'intro' })
  const actions = el('div', { class: 'actions' })
  const start = el('button', { type: 'button', 'data-testid': 'consent', part: 'start' }, 'Start mining')
  const stop = el('button', { type: 'button', class: 'stop', 'data-testid': 'stop', part: 'stop', hidden: '' }, 'Stop')
  actions.append(start, stop)
  const phase = el('p', { 'data-testid': 'phase', role: 'status', 'aria-live': 'polite' })
  const progress = el('progress', { 'data-testid': 'progress', max: '1', value: '0', 'aria-label': 'Model download', hidden: '' })
  const error = el('p', { class: 'error', 'data-testid': 'error', role: 'alert', hidden: '' })
  const stats = el('dl', { 'data-testid': 'stats', hidden: '' })
  const fields: Record<string, HTMLElement> = {}
  for (const [key, label] of [['uid', 'UID'], ['answered', 'Queries answered'], ['incentive', 'Latest incentive'], ['epoch', 'Epoch']] as const) {
    const dd = el('dd', { 'data-testid': key }, '—')
    stats.append(el('dt', {}, label), dd)
    fields[key] = dd
  }
  const reward = el('p', { class: 'muted', 'data-testid': 'reward', 'aria-live': 'polite' })
  box.append(title, intro, actions, phase, progress, error, stats, reward)
  root.append(box)
  return { intro, start, stop, phase, progress, error, stats, reward, ...fields }
}

/** `navigator.getBattery` where the browser has it (Chromium), else nothing. */
interface BatteryManagerLike extends EventTarget, BatteryReading {}
const getBattery = (): Promise<BatteryManagerLike> | null => {
  const nav = navigator as Navigator & { getBattery?: () => Promise<BatteryManagerLike> }
  return typeof nav.getBattery === 'function' ? nav.getBattery() : null
}

const codeOf = (err: unknown): string => (err instanceof WebtensorError ? err.code : typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'error')

/**
 * `<webtensor-miner server="https://…" netuid="1" throttle="0.5">`: a miner any page can embed.
 * Nothing runs before the visitor presses Start (no worker, no download, no connection); the
 * choice is remembered per server origin. It pauses while the tab is hidden or the battery is low,
 * runs the model at most `throttle` of the time, and Stop ends everything it started.
 */
export class WebtensorMinerElement extends HTMLElement {
  static readonly observedAttributes = ['server', 'netuid', 'throttle']
  readonly #root: ShadowRoot
  readonly #ui: Record<string, HTMLElement>
  #state: View = { ...IDLE }
  #session: MiningSession | null = null
  #abort: AbortController | null = null
  #stopped = false
  #running = false
  #lastPhase: WidgetPhase | null = null
  #lastRewardEpoch: number | null = null
  #battery: BatteryReading | null = null
  #batteryWatch: BatteryManagerLike | null = null
  #pauseReason: string | null = null

  constructor() {
    super()
    this.#root = this.attachShadow({ mode: 'open' })
    const sheet = typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype ? new CSSStyleSheet() : null
    if (sheet !== null) {
      sheet.replaceSync(STYLE)
      this.#root.adoptedStyleSheets = [sheet]
    }
    this.#ui = build(this.#root)
    this.#ui.start!.addEventListener('click', () => this.start())
    this.#ui.stop!.addEventListener('click', () => void this.stop())
  }

  /** The webtensor server: the `server` attribute, else the origin this script came from. */
  get server(): string {
    const attr = this.getAttribute('server')
    try {
      return new URL(attr ?? import.meta.url, document.baseURI).origin
    } catch {
      return ''
    }
  }

  /** The `netuid` attribute, or undefined when absent or not a non-negative integer. */
  get netuid(): number | undefined {
    const n = Number(this.getAttribute('netuid') ?? 'x')
    return Number.isInteger(n) && n >= 0 ? n : undefined
  }

  /** The share of time the model may run, from the `throttle` attribute (default 1). */
  get throttle(): number {
    return parseThrottle(this.getAttribute('throttle'))
  }

  /** Where the session stands (a copy). */
  get status(): WebtensorMinerStatus {
    const s = this.#state
    return {
      phase: this.#phase(), pauseReason: this.#pauseReason, hotkey: s.hotkey, uid: s.uid, queriesAnswered: s.queriesAnswered,
      queriesRefused: { ...s.queriesRefused }, incentive: s.incentive, epoch: s.epoch, device: s.device,
    }
  }

  connectedCallback(): void {
    document.addEventListener('visibilitychange', this.#onVisibility)
    this.#render()
    // A visitor who said yes to this server before: that was the click.
    if (!this.#running && readConsent(this.#storage(), this.server) === 'granted') this.start()
  }

  disconnectedCallback(): void {
    document.removeEventListener('visibilitychange', this.#onVisibility)
    void this.stop({ remember: false })
  }

  attributeChangedCallback(name: string): void {
    // A running session takes a new throttle at once (the host page may lower it, e.g. on a game screen).
    if (name === 'throttle') this.#session?.setThrottle(this.throttle)
    this.#render()
  }

  /** Starts mining, as the Start button does (and remembers the choice for this server). */
  start(): void {
    if (this.#running) return
    const server = this.server
    if (server === '') return this.#fail(new WebtensorError(`the server attribute "${this.getAttribute('server') ?? ''}" is not a URL`, { code: 'bad_server' }))
    this.#running = true
    this.#stopped = false
    this.#state = { ...IDLE, phase: 'starting' }
    writeConsent(this.#storage(), server, 'granted')
    const abort = (this.#abort = new AbortController())
    this.#watchBattery()
    this.#pauseReason = this.#currentPauseReason()
    this.#update({ phase: 'starting', error: null })
    // The session's code is fetched now, after the click (src/widget/run.ts).
    import('./run.ts')
      .then(({ startWidgetSession }) =>
        startWidgetSession({
          origin: server,
          onState: (patch) => {
            if (!abort.signal.aborted) this.#update(patch)
          },
          throttle: this.throttle,
          ...(this.netuid === undefined ? {} : { netuid: this.netuid }),
          paused: this.#pauseReason !== null,
          signal: abort.signal,
        }),
      )
      .then(
        async (session) => {
          if (abort.signal.aborted) return session.stop()
          this.#session = session
          session.setPaused(this.#pauseReason !== null)
          session.setThrottle(this.throttle) // in case the attribute changed while starting
          this.#render()
        },
        (err: unknown) => {
          if (abort.signal.aborted) return
          this.#running = false
          this.#abort = null
          this.#fail(err)
        },
      )
  }

  /** Stops everything the widget started: the miner, the mesh, the model and verifier workers. */
  async stop(options: { remember?: boolean } = {}): Promise<void> {
    if (options.remember !== false && this.#running) writeConsent(this.#storage(), this.server, 'stopped')
    if (!this.#running) return
    this.#running = false
    this.#stopped = true
    this.#abort?.abort()
    this.#abort = null
    this.#unwatchBattery()
    const session = this.#session
    this.#session = null
    this.#render()
    try {
      await session?.stop()
    } catch (err) {
      this.#emit('error', { message: `stopping: ${err instanceof Error ? err.message : String(err)}`, code: codeOf(err) })
    }
    this.#render()
  }

  #storage(): ConsentStorage | null {
    try {
      return globalThis.localStorage ?? null
    } catch {
      return null
    }
  }

  #currentPauseReason(): string | null {
    return pauseReason({ hidden: document.hidden, battery: this.#battery })
  }

  readonly #onVisibility = (): void => this.#repause()
  readonly #onBattery = (): void => {
    const b = this.#batteryWatch
    if (b !== null) this.#battery = { charging: b.charging, level: b.level }
    this.#repause()
  }

  #repause(): void {
    const reason = this.#currentPauseReason()
    if (reason === this.#pauseReason) return
    this.#pauseReason = reason
    this.#session?.setPaused(reason !== null)
    this.#render()
  }

  #watchBattery(): void {
    getBattery()?.then(
      (b) => {
        if (!this.#running) return
        this.#batteryWatch = b
        b.addEventListener('levelchange', this.#onBattery)
        b.addEventListener('chargingchange', this.#onBattery)
        this.#onBattery()
      },
      () => {},
    )
  }

  #unwatchBattery(): void {
    this.#batteryWatch?.removeEventListener('levelchange', this.#onBattery)
    this.#batteryWatch?.removeEventListener('chargingchange', this.#onBattery)
    this.#batteryWatch = null
  }

  #phase(): WidgetPhase {
    return widgetPhase(this.#state.phase, this.#pauseReason !== null, this.#stopped)
  }

  #update(patch: Partial<SessionState>): void {
    for (const key of Object.keys(IDLE) as (keyof View)[]) {
      if (key in patch) (this.#state as Record<keyof View, unknown>)[key] = patch[key]
    }
    const reward = newReward(this.#state, this.#lastRewardEpoch)
    if (reward !== null) {
      this.#lastRewardEpoch = reward.epoch
      this.#ui.reward!.textContent = `Epoch ${reward.epoch}: incentive ${reward.incentive.toFixed(4)} for uid ${reward.uid}.`
      this.#emit('reward', reward)
    }
    if (patch.error !== undefined && patch.error !== null) this.#emit('error', { message: patch.error, code: 'error' })
    this.#render()
  }

  #fail(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err)
    this.#state = { ...this.#state, phase: 'error', error: message }
    this.#emit('error', { message, code: codeOf(err) })
    this.#render()
  }

  #emit<K extends keyof WebtensorMinerEvents>(type: K, detail: WebtensorMinerEvents[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }))
  }

  #render(): void {
    const ui = this.#ui
    const s = this.#state
    const phase = this.#phase()
    if (phase !== this.#lastPhase) {
      this.#lastPhase = phase
      this.#emit('state', { phase, reason: phase === 'paused' ? this.#pauseReason : null })
    }
    let host = this.server
    try {
      host = new URL(host).host
    } catch {
      // shown as given
    }
    const share = Math.round(this.throttle * 100)
    ui.intro!.textContent = `Your browser can answer queries for the webtensor network at ${host}${this.netuid === undefined ? '' : ` (subnet ${this.netuid})`}, using at most ${share} % of the time when this tab is visible. It downloads a small model and connects to other peers once you start.`
    ui.phase!.textContent = phase === 'paused' ? `Paused: ${this.#pauseReason ?? ''}. It resumes by itself.` : PHASE_TEXT[phase]
    ui.start!.hidden = this.#running
    ui.stop!.hidden = !this.#running
    const loading = s.phase === 'loading-model' && this.#running
    ui.progress!.hidden = !loading
    ;(ui.progress as HTMLProgressElement).value = s.progress
    ui.error!.hidden = s.error === null
    ui.error!.textContent = s.error === null ? '' : `${s.error} — check that the server address is right and reachable, then press Start again.`
    ui.stats!.hidden = s.hotkey === null
    ui.uid!.textContent = s.uid === null ? '—' : String(s.uid)
    ui.answered!.textContent = String(s.queriesAnswered)
    ui.incentive!.textContent = s.incentive === null ? '—' : s.incentive.toFixed(4)
    ui.epoch!.textContent = s.epoch === null ? '—' : String(s.epoch)
    this.dataset.phase = phase
  }
}
