import './style.css'
import './dashboard/dashboard.css'
import type { SecretStore } from '../identity/identity.ts'
import { memorySecretStore, openBrowserSecretStore, secretStoreUnavailable } from '../identity/secret-idb.ts'
import { mountHotkeyPanel } from './hotkey-panel.ts'
import { renderMetagraph } from './metagraph-table.ts'
import { initialState, startMiningSession, type SessionState } from './session.ts'
import { memoryRewardHistory, openRewardHistory, REWARD_HISTORY_CAP, type RewardHistory } from './reward-history.ts'
import { registrationLine, rewardLine } from './status-lines.ts'
import { memoryEpochHistory, openEpochHistory, type EpochHistory } from './dashboard/history-db.ts'
import { followPeers } from './dashboard/peers.ts'
import { dashboardEpoch, type DashboardEpoch } from './dashboard/shape.ts'
import { mountDashboard } from './dashboard/view.ts'
import type { Mesh } from '../p2p/index.ts'
import type { VerifierUpdate } from '../chain/log-verifier.ts'

const PHASES: Record<SessionState['phase'], string> = {
  idle: 'Not mining. Nothing runs until you press the button.',
  starting: 'Starting…',
  'loading-model': 'Loading the model…',
  joining: 'Joining the network…',
  mining: 'Mining',
  validating: 'Validating: querying miners and checking their answers',
  error: 'Stopped by an error',
}

// index.html holds the page's static markup; everything filled in here is text.
const app = document.querySelector<HTMLDivElement>('#app')!

const $ = (id: string): HTMLElement => app.querySelector(`[data-testid="${id}"]`)!
const fmt = (x: number | null, digits = 4): string => (x === null ? '—' : x.toFixed(digits))
const state: SessionState = { ...initialState }

function render(): void {
  $('phase').textContent = PHASES[state.phase]
  $('error').hidden = state.error === null
  $('error').textContent = state.error ?? ''
  $('hotkey').textContent = state.hotkey ?? '—'
  $('device').textContent = state.device === null ? '—' : `${state.device.toUpperCase()} — ${state.deviceReason ?? ''}`
  ;($('progress') as HTMLProgressElement).value = state.progress
  app.querySelector('#progress-label')!.textContent =
    state.phase === 'loading-model' ? `${Math.round(state.progress * 100)}% ${state.progressFile ?? ''}` : state.progress >= 1 ? 'Model loaded' : ''
  $('peers').textContent = String(state.peers)
  $('answered').textContent = String(state.queriesAnswered)
  $('score').textContent = fmt(state.lastScore, 3)
  $('incentive').textContent = fmt(state.incentive)
  $('uid').textContent = state.uid === null ? '—' : String(state.uid)
  $('epoch').textContent = `${state.epoch ?? '—'} · ${state.block ?? '—'}`
  $('role').textContent = state.role === null ? '' : `Role: ${state.role} — ${state.roleReason ?? ''}`
  $('validator-panel').hidden = state.validator === null
  if (state.validator !== null) {
    const vs = state.validator
    $('verified-answers').textContent = `${vs.verdicts.ok ?? 0} / ${vs.answersVerified} (${vs.queriesSent} queries sent, ${vs.weightsSet} weight settings)`
    $('verified-answers').dataset.scores = JSON.stringify(vs.scores)
  }
  renderRegistration()
  const v = state.verified
  $('verified').textContent = v === null ? 'No epoch checked yet.' : `${v.epoch === null ? '' : `Epoch ${v.epoch} `}${v.ok === null ? 'ℹ' : v.ok ? '✓' : '✗'} ${v.detail}`
  $('verified').className = v === null || v.ok === null ? 'muted' : v.ok ? 'ok' : 'error'
  if (state.logHead === null) delete $('verified').dataset.logSeq
  else $('verified').dataset.logSeq = String(state.logHead.seq)
  renderRewards()
  renderDashboard()
  renderMetagraph($('metagraph'), state.neurons, state.hotkey)
  ;($('start') as HTMLButtonElement).disabled = !idle()
  ;($('import') as HTMLButtonElement).disabled = !idle()
}

// The registration line is a live region: within one phase it changes at most once a second, so a
// screen reader is not read every hash count.
let registrationShown = { phase: '', at: 0 }
function renderRegistration(): void {
  const line = registrationLine(state.registration, state.role === 'miner' || state.registration !== null ? state.uid : null)
  $('registration-panel').hidden = line === null
  $('pow-progress').hidden = state.uid !== null || state.registration?.phase !== 'solving'
  if (line === null) return
  const phase = state.uid !== null ? 'uid' : (state.registration?.phase ?? '')
  const now = performance.now()
  if (phase === registrationShown.phase && now - registrationShown.at < 1000) return
  registrationShown = { phase, at: now }
  $('registration').textContent = line
}

let rewardsShown: SessionState['rewards'] = null
/** The verified reward history, newest first (the latest 20 shown). */
function renderRewards(): void {
  const r = state.rewards
  if (r === rewardsShown || r === null) return
  rewardsShown = r
  const list = $('rewards')
  list.replaceChildren(
    ...r.records.slice(-20).reverse().map((rec) => {
      const li = document.createElement('li')
      li.textContent = rewardLine(rec)
      li.dataset.epoch = String(rec.epoch)
      return li
    }),
  )
  const chain = r.genesis === null ? '' : ` on chain ${r.genesis.slice(0, 10)}…`
  $('rewards-note').textContent =
    r.records.length === 0
      ? `No verified epoch yet for ${r.hotkey.slice(0, 8)}…${chain}: each epoch this page re-derives from the owner's signed log is kept here, in this browser.`
      : `${r.records.length} verified epoch${r.records.length === 1 ? '' : 's'} kept in this browser for ${r.hotkey.slice(0, 8)}…${chain} (the latest ${REWARD_HISTORY_CAP} at most).`
}

// The lower half: the same dashboard as /dashboard.html, fed by this page's own log verification.
const dashboard = mountDashboard(app.querySelector<HTMLElement>('#dashboard')!, { withRewards: true, withPeers: true })
dashboard.setStatus('The subnet as this page re-derives it from the signed log: the history kept in this browser shows now, the live view once mining starts.')
let dashboardRewards: SessionState['rewards'] = null
let dashboardMine: string | null = null
function renderDashboard(): void {
  if (state.rewards !== dashboardRewards) {
    dashboardRewards = state.rewards
    dashboard.setRewards(state.rewards === null ? null : { hotkey: state.rewards.hotkey, records: state.rewards.records })
  }
  if (state.hotkey !== dashboardMine) dashboard.setMine((dashboardMine = state.hotkey))
}
const epochHistory: Promise<EpochHistory> = (typeof indexedDB === 'undefined' ? Promise.resolve(memoryEpochHistory()) : openEpochHistory()).catch(() => memoryEpochHistory())
void epochHistory.then(async (h) => {
  const kept = await h.list()
  if (kept.epochs.length > 0) dashboard.setEpochs(kept.epochs)
}).catch((err: unknown) => console.warn('dashboard history unreadable:', err))
/** Each verified update of the session's log: its epochs (with every uid's values) kept and plotted. */
function onLog(u: VerifierUpdate): void {
  if (u.subnet !== undefined) dashboard.setSubnet(u.subnet.name, u.subnet.netuid, u.genesis)
  if (u.divergence !== undefined) dashboard.setStatus(`The owner's log does not verify at entry ${u.divergence.seq} (${u.divergence.reason}): nothing after it is plotted. Tell the subnet's owner.`, 'error')
  const genesis = u.genesis
  if (genesis === null) return
  const fresh = u.epochs.map((e) => dashboardEpoch(genesis, e)).filter((e): e is DashboardEpoch => e !== null)
  if (fresh.length === 0) return
  void epochHistory.then(async (h) => {
    await h.add(fresh)
    const kept = await h.list()
    dashboard.setEpochs(kept.epochs)
    dashboard.setStatus(`Verified through epoch ${fresh.at(-1)!.epoch} (log entry ${u.head.seq}, block ${u.head.block}): every epoch shown was re-derived in this browser.`, 'ok')
  }).catch((err: unknown) => console.warn('dashboard history: not saved:', err))
}
// The session hands its mesh out on this event (see session.ts): the peer graph follows it.
globalThis.addEventListener('webtensor:mesh', (e) => followPeers(dashboard, (e as CustomEvent<Mesh>).detail))

const idle = (): boolean => state.phase === 'idle' || state.phase === 'error'

let secretStore: Promise<SecretStore> | undefined
/**
 * The hotkey's store, opened on first use (nothing runs before the user acts): encrypted in
 * IndexedDB, migrating a secret older pages kept in plain localStorage. A context without
 * WebCrypto (plain http on a non-local host) keeps the hotkey in memory and says so.
 */
function openSecretStore(): Promise<SecretStore> {
  if (secretStore === undefined) {
    secretStore = (async () => {
      const unavailable = secretStoreUnavailable()
      if (unavailable === null) return openBrowserSecretStore({ legacy: localStorage })
      $('keys-warning').textContent = `${unavailable}: the hotkey is kept in memory only and is gone when this page closes.`
      $('keys-warning').hidden = false
      return memorySecretStore()
    })()
    // A failed open may succeed later (e.g. storage was blocked for a moment).
    secretStore.catch(() => (secretStore = undefined))
  }
  return secretStore
}

let scheduled = false
function update(patch: Partial<SessionState>): void {
  Object.assign(state, patch)
  if (scheduled) return
  scheduled = true
  requestAnimationFrame(() => {
    scheduled = false
    render()
  })
}

/**
 * The reward history, opened on load: it is this browser's own record (no network), so the page
 * shows the last hotkey's verified rewards before anything runs. Without IndexedDB it lives in memory.
 */
const rewardHistory: Promise<RewardHistory> = (typeof indexedDB === 'undefined' ? Promise.reject(new Error('no IndexedDB')) : openRewardHistory()).catch((err: unknown) => {
  console.warn('reward history kept in memory only:', err)
  return memoryRewardHistory()
})
void rewardHistory.then(async (history) => {
  const hotkey = await history.latest()
  if (hotkey === null || state.rewards !== null) return
  const shown = await history.list(hotkey)
  if (state.rewards === null) update({ rewards: { hotkey, ...shown } })
}).catch((err: unknown) => console.warn('reward history unreadable:', err))

$('start').addEventListener('click', () => {
  update({ phase: 'starting', error: null })
  Promise.all([openSecretStore(), rewardHistory])
    .then(([store, history]) => startMiningSession({ origin: location.origin, store, onState: update, history, onLog }))
    .catch((err: unknown) => {
      console.error(err)
      update({ phase: 'error', error: err instanceof Error ? err.message : String(err) })
    })
})

mountHotkeyPanel({
  root: app.querySelector<HTMLElement>('.keys')!,
  store: openSecretStore,
  canImport: idle,
  onImported: (address) => update({ hotkey: address }),
})

render()
