/**
 * `webtensor wallet show`: what a btcli wallet holds, as addresses only. Never prints a secret:
 * the hotkey and coldkey are shown by their SS58 addresses, the coldkey file by its format.
 * `webtensor wallet register`: the wallet's coldkey signs `burned_register` of its hotkey on a
 * subtensor subnet (what `btcli subnets register` does).
 */
import { parseCommandArgs, usageError } from './args.ts'
import { ChainError } from '../chain/index.ts'
import { SubtensorError } from '../chain/subtensor/errors.ts'
import { KeyfileError } from '../identity/keyfile.ts'
import { coldkeyEncryption, DEFAULT_WALLET_NAME, DEFAULT_WALLET_PATH, loadColdkeyFile, loadColdkeypub, loadHotkeyFile, loadWallet, walletFiles } from '../identity/wallet-files.ts'
import { decodeAddress } from '@polkadot/util-crypto'
import type { Hotkey } from '../identity/index.ts'
import type { WalletLocation } from '../identity/wallet-files.ts'
import { COLDKEY_PASSWORD_ENV, resolveColdkeyPassword, SecretSourceError, walletLocation, WALLET_FLAG_SPECS } from './secret-source.ts'

const USAGE = `Usage: webtensor wallet show [--wallet.name NAME] [--wallet.hotkey HOTKEY] [--wallet.path DIR] [--json]
       webtensor wallet register --chain ws://HOST:PORT --netuid N [--wallet.* …] [--hotkey-ss58 ADDRESS]

Shows a btcli wallet (DIR/NAME/coldkey, coldkeypub.txt, hotkeys/HOTKEY): the hotkey's and the
coldkey's SS58 addresses and how the coldkey is stored. No secret is ever printed.
With a coldkey password (--coldkey-password-file PATH, or ${COLDKEY_PASSWORD_ENV}) it also
decrypts the coldkey and checks it is coldkeypub.txt's key (a NaCl coldkey takes ~20 s of CPU).

register: the coldkey (decrypted with its password) signs burned_register(netuid, hotkey) on the
subtensor node at --chain, paying the subnet's burn from the coldkey's free balance; it prints the
uid the hotkey got. A hotkey that already has a uid there is left as it is (exit 0).
--hotkey-ss58 registers another hotkey (e.g. a mining page's, shown on the page) instead of the
wallet's: burned_register needs only the coldkey's signature.

Options:
  --wallet.name NAME             wallet name (default "default")
  --wallet.hotkey HOTKEY         hotkey name (default "default")
  --wallet.path DIR              wallets folder (default ${DEFAULT_WALLET_PATH})
  --coldkey-password-file PATH   file holding the coldkey's password (mode 600)
  --chain URL, --netuid N        (register) the subtensor node and the subnet
  --hotkey-ss58 ADDRESS          (register) the hotkey to register, instead of the wallet's
  --json                         one JSON object
  -h, --help                     this text

Exit codes: 0 shown / registered, 1 a file is missing or cannot be used, or the chain refused
the registration (its error name is printed), 2 bad usage or no chain at --chain.
`

export interface WalletIo {
  stdout: { write(s: string): unknown }
  stderr: { write(s: string): unknown }
  env: Record<string, string | undefined>
}

const FORMAT: Record<string, string> = { none: 'not encrypted', nacl: 'NaCl encrypted', ansible: 'Ansible Vault encrypted', legacy: 'legacy (Fernet) encrypted' }

/**
 * `webtensor wallet …`: argv is what follows `wallet`. Resolves to the exit code.
 * @example await walletCommand(['show', '--wallet.name', 'miner'], { stdout: process.stdout, stderr: process.stderr, env: process.env })
 */
export async function walletCommand(argv: string[], io: WalletIo): Promise<number> {
  const args = parseCommandArgs('wallet', USAGE, argv, { ...WALLET_FLAG_SPECS, chain: { type: 'string' }, netuid: { type: 'string' }, 'hotkey-ss58': { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } }, io)
  if (args.exit !== undefined) return args.exit
  const { values, positionals } = args
  const sub = positionals.length === 1 ? positionals[0] : undefined
  if (sub !== 'show' && sub !== 'register') return usageError('wallet', USAGE, 'the subcommands are "show" and "register"', io)
  if (sub === 'show' && (values.chain !== undefined || values.netuid !== undefined || values['hotkey-ss58'] !== undefined)) {
    io.stderr.write('webtensor wallet: --chain, --netuid and --hotkey-ss58 apply to "register" only\n')
    return 2
  }
  const location = walletLocation(values) ?? {}
  let password: string | undefined
  try {
    const resolved = resolveColdkeyPassword({ passwordFile: values['coldkey-password-file'], env: io.env[COLDKEY_PASSWORD_ENV] })
    for (const warning of resolved?.warnings ?? []) io.stderr.write(`webtensor: warning: ${warning}\n`)
    password = resolved?.secret
  } catch (err) {
    if (err instanceof SecretSourceError) {
      io.stderr.write(`webtensor wallet: ${err.message}\n`)
      return 2
    }
    throw err
  }
  if (sub === 'register') return register(values, location, password, io)
  const report: Record<string, string> = {}
  const problems: string[] = []
  const attempt = async (field: string, get: () => Promise<string> | string): Promise<void> => {
    try {
      report[field] = await get()
    } catch (err) {
      if (!(err instanceof KeyfileError)) throw err
      problems.push(`${field}: ${err.message}`)
    }
  }
  try {
    report.path = walletFiles(location).dir
  } catch (err) {
    if (!(err instanceof KeyfileError)) throw err
    io.stderr.write(`webtensor wallet: ${err.message}\n`)
    return 2
  }
  await attempt('hotkey', async () => (await loadHotkeyFile(location)).address)
  await attempt('coldkeypub', () => loadColdkeypub(location).address)
  await attempt('coldkey_file', () => FORMAT[coldkeyEncryption(location)] ?? 'unknown')
  if (password !== undefined) await attempt('coldkey', async () => `${(await loadColdkeyFile(location, password)).address} (decrypted; matches coldkeypub.txt)`)
  if (values.json) io.stdout.write(`${JSON.stringify({ ...report, problems })}\n`)
  else {
    for (const [field, value] of Object.entries(report)) io.stdout.write(`${field.padEnd(13)}${value}\n`)
    for (const line of problems) io.stderr.write(`webtensor wallet: ${line}\n`)
  }
  return problems.length === 0 ? 0 : 1
}

/** `wallet register`: the coldkey signs burned_register for the hotkey; resolves to the exit code. */
async function register(
  values: { chain?: string; netuid?: string; 'hotkey-ss58'?: string; json: boolean },
  location: WalletLocation,
  password: string | undefined,
  io: WalletIo,
): Promise<number> {
  const usage = (line: string): number => {
    io.stderr.write(`webtensor wallet register: ${line}\n`)
    return 2
  }
  if (values.chain === undefined || !/^wss?:\/\//.test(values.chain)) return usage('--chain needs a ws:// or wss:// URL of a subtensor node')
  const netuid = Number(values.netuid)
  if (values.netuid === undefined || !/^\d+$/.test(values.netuid) || netuid > 0xffff) return usage('--netuid must be 0..65535')
  const other = values['hotkey-ss58']
  if (other !== undefined && !isSs58(other)) return usage(`--hotkey-ss58 ${JSON.stringify(other.slice(0, 64))} is not an SS58 address`)
  let wallet: { name: string; hotkey: { address: string }; coldkey?: Hotkey }
  try {
    if (other === undefined) wallet = await loadWallet({ ...location, password })
    else {
      // Only the coldkey signs: the wallet's own hotkey file is not needed.
      const encrypted = coldkeyEncryption(location) !== 'none'
      const coldkey = !encrypted || password !== undefined ? await loadColdkeyFile(location, password) : undefined
      wallet = { name: location.name ?? DEFAULT_WALLET_NAME, hotkey: { address: other }, ...(coldkey === undefined ? {} : { coldkey }) }
    }
  } catch (err) {
    if (!(err instanceof KeyfileError)) throw err
    io.stderr.write(`webtensor wallet register: ${err.message}\n`)
    return 1
  }
  if (wallet.coldkey === undefined) return usage(`the coldkey of wallet "${wallet.name}" is encrypted: give its password with --coldkey-password-file PATH or ${COLDKEY_PASSWORD_ENV}`)
  const { connectSubtensor } = await import('../chain/subtensor/index.ts')
  let chain: Awaited<ReturnType<typeof connectSubtensor>>
  try {
    chain = await connectSubtensor({ url: values.chain, netuid, coldkey: wallet.coldkey })
  } catch (err) {
    if (err instanceof SubtensorError) return usage(err.message)
    throw err
  }
  const hotkey = wallet.hotkey.address
  const done = (result: { uid: number; block?: number; already: boolean }): number => {
    if (values.json) io.stdout.write(`${JSON.stringify({ hotkey, coldkey: wallet.coldkey!.address, netuid, ...result })}\n`)
    else io.stdout.write(result.already ? `${hotkey} already has uid ${result.uid} on subnet ${netuid}\n` : `registered ${hotkey} on subnet ${netuid}: uid ${result.uid} (block ${result.block}), paid by coldkey ${wallet.coldkey!.address}\n`)
    return 0
  }
  try {
    const existing = chain.uidOf(hotkey)
    if (existing !== undefined) return done({ uid: existing, already: true })
    const at = await chain.burnedRegister({ hotkey, coldkey: wallet.coldkey })
    return done({ uid: at.uid, block: at.blockNumber, already: false })
  } catch (err) {
    if (err instanceof ChainError || err instanceof SubtensorError) {
      io.stderr.write(`webtensor wallet register: the chain refused burned_register: ${err.code} (${err.message})\n`)
      return 1
    }
    throw err
  } finally {
    await chain.close()
  }
}

function isSs58(address: string): boolean {
  try {
    return address.length <= 64 && decodeAddress(address).length === 32
  } catch {
    return false
  }
}
