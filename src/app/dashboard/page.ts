/**
 * /dashboard.html: the subnet, live, for anyone — it does not mine. Its data is the owner's
 * signed log, re-derived in this browser (see log-feed.ts): the log has every epoch's full
 * result, so nothing rests on gossip or on the server's word. The history is kept in IndexedDB
 * and shown at once on a reload, then the log is verified again from its first entry.
 *
 * The peer graph needs a place on the mesh: "Watch the mesh" joins it with a throwaway hotkey
 * made in memory (never stored, never registered, publishing nothing), only after that click.
 */
import '../style.css'
import './dashboard.css'
import { generateHotkey } from '../../identity/identity.ts'
import { joinSubnet } from '../../node/join.ts'
import type { ServerConfig } from '../session.ts'
import { memoryEpochHistory, openEpochHistory, type EpochHistory } from './history-db.ts'
import { startLogFeed } from './log-feed.ts'
import { followPeers } from './peers.ts'
import { mountDashboard } from './view.ts'
import { mountAskBox } from './ask-box.ts'

const root = document.querySelector<HTMLElement>('#dashboard')!
// The test hook (globalThis.__webtensorDashboard) is for the browser test and the bench only.
const view = mountDashboard(root, { withPeers: true, testHook: true })
view.setStatus('Opening the history kept in this browser…')
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err))

async function openHistory(): Promise<EpochHistory> {
  if (typeof indexedDB === 'undefined') return memoryEpochHistory()
  return openEpochHistory().catch((err: unknown) => {
    view.setStatus(`This browser would not open its storage (${message(err)}): the history is kept only while this page is open.`)
    return memoryEpochHistory()
  })
}

async function main(): Promise<void> {
  const history = await openHistory()
  const kept = await history.list()
  if (kept.epochs.length > 0) {
    root.dataset.restored = String(kept.epochs.length)
    view.setEpochs(kept.epochs)
    view.setStatus(`${kept.epochs.length} epochs kept in this browser, shown while the log is verified again…`)
  } else view.setStatus("Reading the owner's signed log…")
  view.setProgress(true)

  let config: ServerConfig
  try {
    const res = await fetch(new URL('/api/config', location.origin), { cache: 'no-store' })
    if (!res.ok) throw new Error(`/api/config answered ${res.status}`)
    config = (await res.json()) as ServerConfig
  } catch (err) {
    view.setProgress(null)
    view.setStatus(`The server's configuration could not be read (${message(err)}). Check that the webtensor server is running, then reload this page.`, 'error')
    return
  }
  const { manifest } = config
  let first = true
  // The status line is a live region: it changes when an epoch is verified, not at every read.
  let latestEpoch: number | null = null
  let announced = ''
  const announce = (text: string): void => {
    if (text !== announced) view.setStatus((announced = text), 'ok')
  }
  await startLogFeed({
    origin: location.origin,
    ownerHotkey: manifest.owner.hotkey,
    history,
    intervalMs: Math.max(1000, manifest.chain.blockTimeMs * 2),
    events: {
      onEpochs(epochs) {
        view.setEpochs(epochs)
        latestEpoch = epochs.at(-1)?.epoch ?? null
      },
      onSubnet: (name, netuid, genesis) => view.setSubnet(name, netuid, genesis),
      onRead(head, divergence) {
        if (first) view.setProgress(null)
        first = false
        if (divergence !== null && divergence !== undefined) {
          view.setStatus(
            `The owner's log does not verify at entry ${divergence.seq} (${divergence.reason}: ${divergence.detail}). Nothing after it is shown: the server may be serving a rewritten log. Tell the subnet's owner, and reload later to check again.`,
            'error',
          )
        } else if (latestEpoch === null) announce(`The log verifies up to entry ${head.seq} (block ${head.block}); it holds no epoch yet.`)
        else announce(`Verified through epoch ${latestEpoch} (log entry ${head.seq}, block ${head.block}): every epoch shown was re-derived in this browser.`)
      },
      onError(err) {
        view.setProgress(null)
        view.setStatus(`The owner's log could not be read (${message(err)}). Retrying every few seconds; if it persists, check the server.`, 'error')
      },
    },
  })

  // The mesh, for the peer graph: only on request.
  const watch = document.querySelector<HTMLButtonElement>('[data-testid="watch-mesh"]')!
  watch.hidden = false
  watch.addEventListener('click', () => {
    watch.disabled = true
    view.setStatus('Joining the mesh with a throwaway key to draw its peer graph…')
    void (async () => {
      const signer = await generateHotkey()
      const { mesh } = await joinSubnet({ manifest, signer, bootstrap: config.relay, iceServers: config.iceServers ?? [] })
      followPeers(view, mesh)
      watch.textContent = 'On the mesh (read-only)'
      view.setStatus(`On the mesh as ${mesh.peerId} with a throwaway key; the peer graph below shows its links.`)
    })().catch((err: unknown) => {
      watch.disabled = false
      view.setStatus(`Could not join the mesh (${message(err)}). Check the relay is reachable, then press the button again.`, 'error')
    })
  })
}

mountAskBox(document.querySelector<HTMLElement>('section.ask')!, location.origin)

main().catch((err: unknown) => {
  view.setProgress(null)
  view.setStatus(`The dashboard stopped: ${message(err)}. Reload the page to start again.`, 'error')
})
