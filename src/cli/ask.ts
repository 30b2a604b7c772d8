import { parseCommandArgs, usageError } from './args.ts'
import { connect, type Network } from '../client/index.ts'
import type { YumaIo } from './yuma.ts'

const USAGE = `Usage: webtensor ask "PROMPT" [--server URL] [--miners N] [--max-tokens N] [--timeout S] [--json]

Asks a running subnet's miners: joins the mesh with a throwaway hotkey, chooses the reachable
miners with the highest incentive, sends each the prompt and prints each signed answer as it
arrives (checked: signed by that registered miner, from its peer, to this ask).

Options:
  --server URL      the webtensor server (default http://127.0.0.1:8080)
  --miners N        how many miners to ask (default 3)
  --max-tokens N    tokens to generate (default 64; miners cap it)
  --timeout S       seconds to wait for miners and for each answer (default 30)
  --json            one JSON object per answer (with the signed envelope in hex)
  -h, --help        this text

Exit codes: 0 at least one answer, 1 no miner answered, 2 bad usage or no subnet.
`

/**
 * `webtensor ask …`: argv is what follows `ask`. Resolves to the exit code.
 * @example await askCommand(['The capital of France is', '--server', 'http://127.0.0.1:8080'], io)
 */
export async function askCommand(argv: string[], io: YumaIo): Promise<number> {
  const args = parseCommandArgs('ask', USAGE, argv, {
    server: { type: 'string', default: 'http://127.0.0.1:8080' },
    miners: { type: 'string', default: '3' },
    'max-tokens': { type: 'string', default: '64' },
    timeout: { type: 'string', default: '30' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  }, io)
  if (args.exit !== undefined) return args.exit
  const { values, positionals } = args
  const count = Number(values.miners)
  const maxNewTokens = Number(values['max-tokens'])
  const timeoutS = Number(values.timeout)
  const bad = positionals.length !== 1 ? 'give one prompt (quote it)' : !Number.isInteger(count) || count < 1 || count > 64 ? '--miners must be 1..64' : !Number.isInteger(maxNewTokens) || maxNewTokens < 1 ? '--max-tokens must be a positive integer' : !(timeoutS > 0) ? '--timeout must be positive' : null
  if (bad !== null) return usageError('ask', USAGE, bad, io)
  let network: Network
  try {
    network = await connect({ server: values.server })
    await network.ready({ miners: 1, timeoutMs: timeoutS * 1000 })
  } catch (err) {
    io.stderr.write(`webtensor ask: ${(err as Error).message}\n`)
    return 2
  }
  try {
    let answered = 0
    for await (const a of network.ask(positionals[0]!, {
      miners: count,
      maxNewTokens,
      timeoutMs: timeoutS * 1000,
      onError: (err, m) => io.stderr.write(`uid ${m.uid}: ${err.message}\n`),
    })) {
      answered++
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ uid: a.uid, hotkey: a.hotkey, incentive: a.incentive, latencyMs: a.latencyMs, tokens: a.tokens, text: a.text, signed: Buffer.from(a.signed).toString('hex') })}\n`)
      } else {
        io.stdout.write(`uid ${a.uid} ${a.hotkey} (incentive ${a.incentive.toFixed(3)}, ${a.latencyMs} ms, ${a.tokens} tokens, signed):\n${a.text}\n\n`)
      }
    }
    return answered > 0 ? 0 : 1
  } catch (err) {
    io.stderr.write(`webtensor ask: ${(err as Error).message}\n`)
    return 1
  } finally {
    await network.close()
  }
}
