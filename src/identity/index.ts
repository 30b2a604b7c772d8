/**
 * Who a peer is: sr25519 hotkeys (SS58 addresses), signatures, and where secrets are kept. The
 * foundation layer: nothing here imports from the layers above. Node keeps secrets in files with
 * `fileSecretStore` (`./secret-file.ts`, Node only, so not re-exported here); pages keep them
 * encrypted in IndexedDB (`openBrowserSecretStore`). btcli keyfiles (plain, `$NACL`, Ansible
 * Vault, legacy Fernet) are read by `./keyfile.ts`; whole btcli wallets on disk (hotkey,
 * coldkey, coldkeypub) by `loadWallet` in `./wallet-files.ts` (Node only, not re-exported).
 */
export {
  generateHotkey,
  hotkeyFromSecret,
  HOTKEY_KEY,
  IdentityError,
  loadOrCreateHotkey,
  pairFromSecretKey,
  replaceHotkey,
  SS58_PREFIX,
  verifySignature,
  type Hotkey,
  type SecretStore,
  type Signer,
} from './identity.ts'
export { memorySecretStore, openBrowserSecretStore, SecretStoreError, secretStoreUnavailable, type BrowserSecretStore } from './secret-idb.ts'
export {
  decryptKeyfile,
  keyfileEncryption,
  KeyfileError,
  keyfileJson,
  keyFromKeyfile,
  parseKeyfile,
  publicKeyFromKeyfile,
  secretFromImport,
  secretFromKeyfile,
  WrongPasswordError,
  type Argon2i,
  type KeyfileEncryption,
  type KeyfileFields,
  type KeyfileOptions,
  type PublicKey,
} from './keyfile.ts'
