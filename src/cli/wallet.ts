/**
 * `webtensor wallet show`: what a btcli wallet holds, as addresses only. Never prints a secret:
 * the hotkey and coldkey are shown by their SS58 addresses, the coldkey file by its format.
 */
import { parseArgs } from 'node:util'
import { KeyfileError } from '../identity/keyfile.ts'
import { coldkeyEncryption, DEFAULT_WALLET_PATH, loadColdkeyFile, loadColdkeypub, loadHotkeyFile, walletFiles } from '../identity/wallet-files.ts'
import { COLDKEY_PASSWORD_ENV, resolveColdkeyPassword, SecretSourceError, walletLocation, WALLET_FLAG_SPECS } from './secret-source.ts'

const USAGE = `Usage: webtensor wallet show [--wallet.name NAME] [--wallet.hotkey HOTKEY] [--wallet.path DIR] [--json]

Shows a btcli wallet (DIR/NAME/coldkey, coldkeypub.txt, hotkeys/HOTKEY): the hotkey's and the
coldkey's SS58 addresses and how the coldkey is stored. No secret is ever printed.
With a coldkey password (--coldkey-password-file PATH, or ${COLDKEY_PASSWORD_ENV}) it also
decrypts the coldkey and checks it is coldkeypub.txt's key (a NaCl coldkey takes ~20 s of CPU).

Options:
  --wallet.name NAME             wallet name (default "default")
  --wallet.hotkey HOTKEY         hotkey name (default "default")
  --wallet.path DIR              wallets folder (default ${DEFAULT_WALLET_PATH})
  --coldkey-password-file PATH   file holding the coldkey's password (mode 600)
  --json                         one JSON object
  -h, --help                     this text

Exit codes: 0 shown, 1 a file is missing or cannot be used, 2 bad usage.
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
  let values: { 'wallet.name'?: string; 'wallet.hotkey'?: string; 'wallet.path'?: string; 'coldkey-password-file'?: string; json: boolean; help: boolean }
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      options: { ...WALLET_FLAG_SPECS, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      allowPositionals: true,
      strict: true,
    }) as { values: typeof values; positionals: string[] })
  } catch (err) {
    io.stderr.write(`webtensor wallet: ${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (values.help) {
    io.stdout.write(USAGE)
    return 0
  }
  if (positionals.length !== 1 || positionals[0] !== 'show') {
    io.stderr.write(`webtensor wallet: the one subcommand is "show"\n\n${USAGE}`)
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
