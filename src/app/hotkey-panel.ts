/**
 * Export and import of the page's hotkey secret, each behind a confirmation. Export shows the
 * secret only after the user confirms, and removes it from the page when hidden. Import checks
 * the pasted secret first, shows which hotkey it replaces with which, and writes nothing until
 * the user confirms; a bad secret leaves the stored hotkey as it was. Besides a mnemonic, `0x`
 * seed or `//Dev` URI, import takes a btcli hotkey keyfile (its JSON pasted, or the file picked).
 * Secrets go into the page as text only and are never logged.
 */
import { hotkeyFromSecret, HOTKEY_KEY, replaceHotkey, type SecretStore } from '../identity/identity.ts'

/** No btcli keyfile is near this size (`MAX_KEYFILE_BYTES` of identity/keyfile.ts, loaded lazily). */
const MAX_IMPORT_FILE_BYTES = 64 * 1024

export interface HotkeyPanelOptions {
  /** The section holding the panel's elements (index.html, `.keys`). */
  root: HTMLElement
  /** The page's secret store, opened on first use. */
  store: () => Promise<SecretStore>
  /** False while a session runs with the current hotkey. */
  canImport: () => boolean
  /** Called with the new address after an import. */
  onImported: (address: string) => void
}

/** Wires the export/import buttons of `root`. */
export function mountHotkeyPanel(options: HotkeyPanelOptions): void {
  const { root } = options
  const el = <T extends HTMLElement = HTMLElement>(id: string): T => root.querySelector<T>(`[data-testid="${id}"]`)!
  const note = (text: string, isError = false): void => {
    el('keys-note').textContent = text
    el('keys-note').className = isError ? 'error' : 'muted'
  }
  const show = (id: string, visible: boolean): void => {
    el(id).hidden = !visible
  }
  const hideSecret = (): void => {
    el('export-secret').textContent = ''
    show('export-shown', false)
  }
  const resetImport = (): void => {
    el<HTMLInputElement>('import-secret').value = ''
    el<HTMLInputElement>('import-file').value = ''
    el('import-question').textContent = ''
    show('import-confirm-panel', false)
    show('import-panel', false)
    pending = null
  }
  /** The checked secret waiting for the user's confirmation. */
  let pending: { secret: string; address: string } | null = null
  const fail = (err: unknown): void => note(err instanceof Error ? err.message : String(err), true)

  el('export').addEventListener('click', () => {
    resetImport()
    hideSecret()
    note('')
    show('export-panel', true)
  })
  el('export-cancel').addEventListener('click', () => show('export-panel', false))
  el('export-confirm').addEventListener('click', () => {
    show('export-panel', false)
    void (async () => {
      const secret = await (await options.store()).get(HOTKEY_KEY)
      if (secret === null || secret === '') return note('No hotkey yet: press Start mining to create one, or import one.')
      el('export-secret').textContent = secret
      show('export-shown', true)
    })().catch(fail)
  })
  el('export-copy').addEventListener('click', () => {
    const secret = el('export-secret').textContent ?? ''
    if (secret === '') return
    navigator.clipboard.writeText(secret).then(
      () => note('Copied to the clipboard.'),
      () => note('Copying failed here: select the secret and copy it yourself.', true),
    )
  })
  el('export-hide').addEventListener('click', hideSecret)

  el('import').addEventListener('click', () => {
    hideSecret()
    show('export-panel', false)
    note('')
    if (!options.canImport()) return note('The hotkey cannot change while mining: reload the page, then import.', true)
    resetImport()
    show('import-panel', true)
    el('import-secret').focus()
  })
  el('import-cancel').addEventListener('click', () => {
    resetImport()
    note('Nothing was changed.')
  })
  // Editing the secret after the check asks for a new check.
  el('import-secret').addEventListener('input', () => {
    pending = null
    show('import-confirm-panel', false)
  })
  // A picked btcli hotkey file goes into the secret field (it stays hidden there), then is checked.
  el('import-file').addEventListener('change', () => {
    const file = el<HTMLInputElement>('import-file').files?.[0]
    if (file === undefined) return
    if (file.size > MAX_IMPORT_FILE_BYTES) return note('That file is too large to be a btcli keyfile. Nothing was changed.', true)
    void file.text().then((text) => {
      el<HTMLInputElement>('import-secret').value = text.trim()
      el('import-check').click()
    }, fail)
  })
  el('import-check').addEventListener('click', () => {
    pending = null
    show('import-confirm-panel', false)
    const raw = el<HTMLInputElement>('import-secret').value
    void (async () => {
      let address: string
      let secret: string
      try {
        // The keyfile reader (and its ciphers) loads only when an import is checked.
        const { secretFromImport } = await import('../identity/keyfile.ts')
        secret = await secretFromImport(raw)
        address = (await hotkeyFromSecret(secret)).address
      } catch (err) {
        // The identity layer's messages never quote the secret.
        return note(`${err instanceof Error ? err.message : String(err)}. Nothing was changed.`, true)
      }
      const current = await (await options.store()).get(HOTKEY_KEY)
      const currentAddress = current === null || current === '' ? null : (await hotkeyFromSecret(current)).address
      if (currentAddress === address) return note('That is already this page\'s hotkey. Nothing was changed.')
      pending = { secret, address }
      el('import-question').textContent =
        currentAddress === null
          ? `Use hotkey ${address} in this browser?`
          : `Replace hotkey ${currentAddress} with ${address}? The current hotkey is lost from this browser unless you exported its secret.`
      show('import-confirm-panel', true)
      note('')
    })().catch(fail)
  })
  el('import-confirm').addEventListener('click', () => {
    const chosen = pending
    if (chosen === null) return
    if (!options.canImport()) return note('The hotkey cannot change while mining: reload the page, then import.', true)
    void (async () => {
      const hotkey = await replaceHotkey(await options.store(), chosen.secret)
      resetImport()
      options.onImported(hotkey.address)
      note(`Hotkey replaced: ${hotkey.address}.`)
    })().catch(fail)
  })
}
