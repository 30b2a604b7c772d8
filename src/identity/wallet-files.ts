/**
 * btcli wallets on disk (Node only, so not re-exported from `index.ts`): the files of
 * `<path>/<name>/` as the bittensor wallet lays them out, `coldkey`, `coldkeypub.txt` and
 * `hotkeys/<hotkey>`, read and turned into keys with `keyfile.ts`. Nothing here prints or
 * returns a secret except inside the keys themselves.
 */
import { readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { u8aEq } from '@polkadot/util'
import type { Hotkey } from './identity.ts'
import {
  decryptKeyfile,
  keyfileEncryption,
  KeyfileError,
  keyFromKeyfile,
  MAX_KEYFILE_BYTES,
  parseKeyfile,
  publicKeyFromKeyfile,
  type KeyfileEncryption,
  type KeyfileOptions,
  type PublicKey,
} from './keyfile.ts'

/** btcli's default wallets folder (`BT_WALLET_PATH`). */
export const DEFAULT_WALLET_PATH = '~/.bittensor/wallets'
/** btcli's default wallet and hotkey names. */
export const DEFAULT_WALLET_NAME = 'default'
export const DEFAULT_HOTKEY_NAME = 'default'

/** Which wallet: `--wallet.path`, `--wallet.name`, `--wallet.hotkey` (btcli's defaults when left out). */
export interface WalletLocation {
  path?: string | undefined
  name?: string | undefined
  hotkey?: string | undefined
}

/** The files of a wallet, with `~` expanded. */
export interface WalletFiles {
  dir: string
  coldkey: string
  coldkeypub: string
  hotkey: string
}

/** Where the files of the wallet `location` are. Names with a path separator are refused. */
export function walletFiles(location: WalletLocation = {}): WalletFiles {
  const name = location.name ?? DEFAULT_WALLET_NAME
  const hotkey = location.hotkey ?? DEFAULT_HOTKEY_NAME
  for (const [flag, value] of [['wallet.name', name], ['wallet.hotkey', hotkey]] as const) {
    if (value === '' || value === '.' || value === '..' || /[/\\\0]/.test(value)) {
      throw new KeyfileError(`--${flag} must be a plain name (no / or ..), got ${JSON.stringify(value)}`, { code: 'bad_wallet_name' })
    }
  }
  const root = expandHome(location.path ?? DEFAULT_WALLET_PATH)
  const dir = join(root, name)
  return { dir, coldkey: join(dir, 'coldkey'), coldkeypub: join(dir, 'coldkeypub.txt'), hotkey: join(dir, 'hotkeys', hotkey) }
}

function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path
}

/** The bytes of a keyfile, or a `KeyfileError` (`no_keyfile`, with what to run) that names the path only. */
export function readKeyfile(path: string, hint: string): Uint8Array {
  let size: number
  try {
    const st = statSync(path)
    if (!st.isFile()) throw new KeyfileError(`${path} is not a file`, { code: 'no_keyfile' })
    size = st.size
  } catch (err) {
    if (err instanceof KeyfileError) throw err
    const code = (err as { code?: unknown }).code
    throw new KeyfileError(code === 'ENOENT' ? `no keyfile at ${path} (${hint})` : `cannot read ${path} (${String(code)})`, { code: 'no_keyfile' })
  }
  if (size > MAX_KEYFILE_BYTES) throw new KeyfileError(`${path} is not a keyfile: ${size} bytes, more than ${MAX_KEYFILE_BYTES}`, { code: 'bad_keyfile' })
  try {
    return new Uint8Array(readFileSync(path))
  } catch (err) {
    throw new KeyfileError(`cannot read ${path} (${String((err as { code?: unknown }).code)})`, { code: 'no_keyfile' })
  }
}

/** Adds the file and, for a file that cannot be read, what to do about it, to a keyfile error. */
function about(path: string, what: string, regen: string) {
  return (err: unknown): never => {
    if (!(err instanceof KeyfileError)) throw err
    const advice = ['bad_keyfile', 'unsupported_keyfile', 'address_mismatch'].includes(err.code) ? `; recreate it from its mnemonic with \`${regen}\`` : ''
    const e = err.code === 'wrong_password' ? err : new KeyfileError(`${what} ${path}: ${err.message}${advice}`, { code: err.code, cause: err })
    throw e
  }
}

const names = (location: WalletLocation) => ({ name: location.name ?? DEFAULT_WALLET_NAME, hotkey: location.hotkey ?? DEFAULT_HOTKEY_NAME })

/**
 * The hotkey of a wallet (`<path>/<name>/hotkeys/<hotkey>`, usually unencrypted; `password`
 * opens one that btcli encrypted).
 */
export async function loadHotkeyFile(location: WalletLocation, password?: string, options: KeyfileOptions = {}): Promise<Hotkey> {
  const files = walletFiles(location)
  const { name, hotkey } = names(location)
  const regen = `btcli wallet regen_hotkey --wallet.name ${name} --wallet.hotkey ${hotkey}`
  const data = readKeyfile(files.hotkey, `create one with \`btcli wallet new_hotkey --wallet.name ${name} --wallet.hotkey ${hotkey}\``)
  return decryptKeyfile(data, password, options)
    .then((plain) => keyFromKeyfile(parseKeyfile(plain)))
    .catch(about(files.hotkey, 'hotkey file', regen))
}

/** The public coldkey of a wallet (`coldkeypub.txt`, never encrypted). */
export function loadColdkeypub(location: WalletLocation): PublicKey {
  const files = walletFiles(location)
  const { name } = names(location)
  const data = readKeyfile(files.coldkeypub, `create it with \`btcli wallet regen_coldkeypub --wallet.name ${name}\``)
  try {
    return publicKeyFromKeyfile(parseKeyfile(data))
  } catch (err) {
    return about(files.coldkeypub, 'coldkeypub file', `btcli wallet regen_coldkeypub --wallet.name ${name}`)(err)
  }
}

/** How the coldkey file of a wallet is stored, without opening it. */
export function coldkeyEncryption(location: WalletLocation): KeyfileEncryption {
  const files = walletFiles(location)
  return keyfileEncryption(readKeyfile(files.coldkey, `this wallet has no coldkey here (btcli wallet regen_coldkey --wallet.name ${names(location).name})`))
}

/**
 * The coldkey of a wallet, decrypted with `password` (a `$NACL` coldkey takes about 20 s of CPU
 * with the default argon2i), and checked to be the key of `coldkeypub.txt` when that exists.
 */
export async function loadColdkeyFile(location: WalletLocation, password: string | undefined, options: KeyfileOptions = {}): Promise<Hotkey> {
  const files = walletFiles(location)
  const { name } = names(location)
  const regen = `btcli wallet regen_coldkey --wallet.name ${name}`
  const data = readKeyfile(files.coldkey, `this wallet has no coldkey here (${regen})`)
  const key = await decryptKeyfile(data, password, options)
    .then((plain) => keyFromKeyfile(parseKeyfile(plain)))
    .catch(about(files.coldkey, 'coldkey file', regen))
  let pub: PublicKey | null = null
  try {
    pub = loadColdkeypub(location)
  } catch (err) {
    if (!(err instanceof KeyfileError && err.code === 'no_keyfile')) throw err
  }
  if (pub !== null && !u8aEq(pub.publicKey, key.publicKey)) {
    throw new KeyfileError(`the coldkey of ${files.dir} is ${key.address} but its coldkeypub.txt says ${pub.address}: refusing it`, { code: 'address_mismatch' })
  }
  return key
}

export interface LoadWalletOptions extends WalletLocation {
  /** The coldkey's password: the coldkey is decrypted only when given (or when its file is not encrypted). */
  password?: string | undefined
  /** The hotkey file's password, for a hotkey btcli encrypted (rare). */
  hotkeyPassword?: string | undefined
  keyfile?: KeyfileOptions
}

/** A key of a wallet: a `Signer` with its `@polkadot/keyring` pair (for extrinsics) and its secret (not enumerable). */
export type WalletKey = Hotkey

/** A btcli wallet: its hotkey signs for the node, its coldkey (when opened) signs registration. */
export interface Wallet {
  name: string
  hotkeyName: string
  files: WalletFiles
  hotkey: WalletKey
  coldkeypub: PublicKey
  /** Present when a password was given or the coldkey file is not encrypted. */
  coldkey?: WalletKey
}

/**
 * Loads a btcli wallet: the hotkey, the public coldkey, and the coldkey when `password` is given
 * (or its file is not encrypted). A wallet made with only `regen_coldkeypub` (no coldkey file)
 * loads without a coldkey.
 * @example const w = await loadWallet({ name: 'miner', hotkey: 'default', password: process.env.WEBTENSOR_COLDKEY_PASSWORD })
 */
export async function loadWallet(options: LoadWalletOptions = {}): Promise<Wallet> {
  const files = walletFiles(options)
  const { name, hotkey: hotkeyName } = names(options)
  const hotkey = await loadHotkeyFile(options, options.hotkeyPassword, options.keyfile)
  const coldkeypub = loadColdkeypub(options)
  let coldkey: Hotkey | undefined
  if (options.password !== undefined) coldkey = await loadColdkeyFile(options, options.password, options.keyfile)
  else {
    let encryption: KeyfileEncryption | null = null
    try {
      encryption = coldkeyEncryption(options)
    } catch (err) {
      if (!(err instanceof KeyfileError && err.code === 'no_keyfile')) throw err
    }
    if (encryption === 'none') coldkey = await loadColdkeyFile(options, undefined)
  }
  return { name, hotkeyName, files, hotkey, coldkeypub, ...(coldkey === undefined ? {} : { coldkey }) }
}
