import './style.css'
import { initialState, startMiningSession, type SessionState } from './session.ts'

const PHASES: Record<SessionState['phase'], string> = {
  idle: 'Not mining. Nothing runs until you press the button.',
  starting: 'Starting…',
  'loading-model': 'Loading the model…',
  joining: 'Joining the network…',
  mining: 'Mining',
  validating: 'Validating: querying miners and checking their answers',
  error: 'Stopped by an error',
}

const app = document.querySelector<HTMLDivElement>('#app')!
app.innerHTML = `
  <header>
    <h1>webtensor</h1>
    <p class="tagline">Your browser is a miner on a peer-to-peer network of machine intelligence.</p>
  </header>
  <main>
    <section class="card">
      <button id="start" data-testid="start">Start mining</button>
      <p id="phase" data-testid="phase"></p>
      <p id="error" class="error" data-testid="error" hidden></p>
      <dl>
        <dt>Hotkey</dt><dd data-testid="hotkey" class="mono">—</dd>
        <dt>Device</dt><dd data-testid="device">—</dd>
      </dl>
      <div class="progress"><div id="bar" data-testid="progress"></div></div>
      <p id="progress-label" class="muted"></p>
    </section>
    <section class="card stats">
      <div><span class="label">Peers connected</span><span data-testid="peers">0</span></div>
      <div><span class="label">Queries answered</span><span data-testid="answered">0</span></div>
      <div><span class="label">Latest score</span><span data-testid="score">—</span></div>
      <div><span class="label">Incentive</span><span data-testid="incentive">—</span></div>
      <div><span class="label">UID</span><span data-testid="uid">—</span></div>
      <div><span class="label">Epoch · block</span><span data-testid="epoch">—</span></div>
    </section>
    <section class="card">
      <p data-testid="verified" class="muted">No epoch checked yet.</p>
      <table>
        <thead><tr><th>UID</th><th>Hotkey</th><th>Stake (τ)</th><th>Permit</th><th>Incentive</th><th>Dividends</th></tr></thead>
        <tbody data-testid="metagraph"></tbody>
      </table>
    </section>
  </main>
`

const $ = (id: string): HTMLElement => app.querySelector(`[data-testid="${id}"]`)!
const fmt = (x: number | null, digits = 4): string => (x === null ? '—' : x.toFixed(digits))
const state: SessionState = { ...initialState }

function render(): void {
  $('phase').textContent = PHASES[state.phase]
  $('error').hidden = state.error === null
  $('error').textContent = state.error ?? ''
  $('hotkey').textContent = state.hotkey ?? '—'
  $('device').textContent = state.device === null ? '—' : `${state.device.toUpperCase()} — ${state.deviceReason ?? ''}`
  ;($('progress') as HTMLElement).style.width = `${Math.round(state.progress * 100)}%`
  app.querySelector('#progress-label')!.textContent =
    state.phase === 'loading-model' ? `${Math.round(state.progress * 100)}% ${state.progressFile ?? ''}` : state.progress >= 1 ? 'Model loaded' : ''
  $('peers').textContent = String(state.peers)
  $('answered').textContent = String(state.queriesAnswered)
  $('score').textContent = fmt(state.lastScore, 3)
  $('incentive').textContent = fmt(state.incentive)
  $('uid').textContent = state.uid === null ? '—' : String(state.uid)
  $('epoch').textContent = `${state.epoch ?? '—'} · ${state.block ?? '—'}`
  const v = state.verified
  $('verified').textContent = v === null ? 'No epoch checked yet.' : `Epoch ${v.epoch}: ${v.ok ? '✓' : '✗'} ${v.detail}`
  $('verified').className = v === null ? 'muted' : v.ok ? 'ok' : 'error'
  $('metagraph').innerHTML = state.neurons
    .map((n) => {
      const mine = n.hotkey === state.hotkey ? ' class="mine"' : ''
      const tao = (Number(BigInt(n.stake) / 1_000_000n) / 1000).toFixed(3)
      return `<tr${mine} data-uid="${n.uid}" data-hotkey="${n.hotkey}" data-incentive="${n.incentive}" data-dividends="${n.dividends}">
        <td>${n.uid}</td><td class="mono">${n.hotkey.slice(0, 8)}…${n.hotkey.slice(-6)}</td><td>${tao}</td>
        <td>${n.validatorPermit ? 'yes' : ''}</td><td>${n.incentive.toFixed(4)}</td><td>${n.dividends.toFixed(4)}</td></tr>`
    })
    .join('')
  ;($('start') as HTMLButtonElement).disabled = state.phase !== 'idle' && state.phase !== 'error'
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

$('start').addEventListener('click', () => {
  startMiningSession({
    origin: location.origin,
    store: { get: (k) => localStorage.getItem(k), set: (k, v) => localStorage.setItem(k, v) },
    onState: update,
  }).catch((err: unknown) => {
    console.error(err)
    update({ phase: 'error', error: err instanceof Error ? err.message : String(err) })
  })
})

render()
