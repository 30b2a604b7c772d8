/**
 * Who a peer is: sr25519 hotkeys (SS58 addresses), signatures, and where secrets are kept. The
 * foundation layer: nothing here imports from the layers above. Node keeps secrets in files with
 * `fileSecretStore` (`./secret-file.ts`, Node only, so not re-exported here); pages keep them
 * encrypted in IndexedDB (`openBrowserSecretStore`).
 */
export {
  generateHotkey,
  hotkeyFromSecret,
  HOTKEY_KEY,
  IdentityError,
  loadOrCreateHotkey,
  replaceHotkey,
  SS58_PREFIX,
  verifySignature,
  type Hotkey,
  type SecretStore,
  type Signer,
} from './identity.ts'
export { memorySecretStore, openBrowserSecretStore, SecretStoreError, secretStoreUnavailable, type BrowserSecretStore } from './secret-idb.ts'
