/**
 * What the widget loads only after the visitor's click (a chunk of its own, so the script a host
 * page loads up front stays small): the mining session of the app page, and where the hotkey is kept.
 */
import { startMiningSession, type MiningSession, type MiningSessionOptions } from '../app/session.ts'
import type { SecretStore } from '../identity/identity.ts'
import { memorySecretStore, openBrowserSecretStore, secretStoreUnavailable } from '../identity/secret-idb.ts'

/**
 * The hotkey's store for one server: encrypted in the host origin's IndexedDB (one database per
 * server, so each network gets its own hotkey), else in memory (no WebCrypto or IndexedDB here).
 */
export async function openWidgetSecretStore(server: string): Promise<SecretStore> {
  if (secretStoreUnavailable() !== null) return memorySecretStore()
  return openBrowserSecretStore({ dbName: `webtensor-widget:${server}` }).catch(() => memorySecretStore())
}

/** Starts the app's mining session for the widget, with the hotkey kept for `options.origin`. */
export async function startWidgetSession(options: Omit<MiningSessionOptions, 'store' | 'history'>): Promise<MiningSession> {
  const store = await openWidgetSecretStore(options.origin)
  return startMiningSession({ ...options, store, history: null })
}
