import { parseArgs } from 'node:util'
import { DEFAULT_MANIFEST, DEFAULT_MODELS_DIR, DEFAULT_STATE_DIR } from './paths.ts'
import { SECRET_ENV, SecretSourceError, resolveSecret } from './secret-source.ts'
import { readManifest, resolveBootstrap, startNodeMiner, startOwner, startRelayStack, startValidator, type Stoppable } from './stack.ts'

const USAGE = `webtensor — a browser-native, peer-to-peer miner/validator node

Usage: webtensor <command> [options]

Commands:
  start       relay + web app + the embedded default subnet (owner and one validator) on one host
  relay       the relay/bootstrap node and the web server (app, models, onnxruntime wasm)
  validator   a Node validator joining a running subnet (--relay, --secret-file)
  miner       a headless Node miner on onnxruntime-node (--relay)
  yuma        run Yuma Consensus epochs on JSON input (webtensor yuma run --help)

Options (start, relay, validator, miner):
  --host H           address to listen on            (default 127.0.0.1)
  --port P           web server port, 0 = any        (default 8080)
  --relay-port P     relay WebSocket port, 0 = any   (default 9090)
  --relay ADDR       relay to join: a multiaddr, or the http URL of a webtensor server
  --manifest FILE    subnet manifest                 (default subnets/default.json)
  --models DIR       folder of model files           (default ./models)
  --state DIR        keys and state                  (default ./.webtensor)
  --secret-file PATH file holding the hotkey secret (mnemonic or //Dev URI); or set ${SECRET_ENV};
                     miners default to a key kept in --state
  --secret URI       the secret itself: visible to other users in ps, prefer --secret-file
  --quiet            print only the essential lines
`

/**
 * Runs the CLI with `argv` (without `node` and the script). Long-running commands resolve only
 * after SIGINT/SIGTERM has stopped everything they started.
 * @example await main(['start', '--port', '0'])
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE)
    return command === undefined ? 1 : 0
  }
  if (command === 'yuma') {
    const { yumaCommand } = await import('./yuma.ts')
    return yumaCommand(rest, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr })
  }
  let values
  try {
    ;({ values } = parseArgs({
      args: rest,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8080' },
        'relay-port': { type: 'string', default: '9090' },
        relay: { type: 'string' },
        manifest: { type: 'string', default: DEFAULT_MANIFEST },
        models: { type: 'string', default: DEFAULT_MODELS_DIR },
        state: { type: 'string', default: DEFAULT_STATE_DIR },
        secret: { type: 'string' },
        'secret-file': { type: 'string' },
        quiet: { type: 'boolean', default: false },
      },
      strict: true,
    }))
  } catch (err) {
    process.stderr.write(`webtensor ${command}: ${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  const port = Number(values.port)
  const relayPort = Number(values['relay-port'])
  if (!Number.isInteger(port) || port < 0 || port > 65535) return fail(`--port must be 0..65535, got ${values.port}`)
  if (!Number.isInteger(relayPort) || relayPort < 0 || relayPort > 65535) return fail(`--relay-port must be 0..65535, got ${values['relay-port']}`)
  const quiet = values.quiet
  const log = (line: string): void => {
    if (!quiet) process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`)
  }
  const say = (line: string): void => void process.stdout.write(`${line}\n`)
  let secret: string | undefined
  if (command === 'validator' || command === 'miner') {
    try {
      const resolved = resolveSecret({ secret: values.secret, secretFile: values['secret-file'], env: process.env[SECRET_ENV] })
      secret = resolved?.secret
      for (const warning of resolved?.warnings ?? []) process.stderr.write(`webtensor: warning: ${warning}\n`)
    } catch (err) {
      if (err instanceof SecretSourceError) return fail(err.message)
      throw err
    }
  }
  const started: Stoppable[] = []
  const manifest = readManifest(values.manifest)
  const common = { host: values.host, modelsDir: values.models, log }

  switch (command) {
    case 'start':
    case 'relay': {
      const stack = await startRelayStack({ ...common, port, relayPort, stateDir: values.state, manifest })
      started.push(stack.server, stack.relay)
      const bootstrap = stack.relay.multiaddrs
      if (command === 'start') {
        const owner = await startOwner({ manifest, bootstrap, host: values.host, log })
        stack.owner = owner.owner
        started.push(owner.mesh, owner.owner)
        for (const v of manifest.validators) {
          if (v.devSecret === undefined) continue
          const val = await startValidator({ ...common, manifest, secret: v.devSecret, bootstrap })
          started.push(val.mesh, val.validator, { stop: () => val.runner.dispose() })
          log(`validator ${val.hotkey.address} running`)
        }
      }
      say(`webtensor ${command === 'start' ? `subnet ${manifest.netuid} (${manifest.name})` : 'relay'} is up`)
      say(`open ${stack.server.url} to mine`)
      break
    }
    case 'validator': {
      if (values.relay === undefined || secret === undefined) return fail(`validator needs --relay and a secret (--secret-file PATH or ${SECRET_ENV})`)
      const val = await startValidator({ ...common, manifest, secret, bootstrap: await resolveBootstrap(values.relay) })
      started.push(val.mesh, val.validator, { stop: () => val.runner.dispose() })
      say(`validator ${val.hotkey.address} running on subnet ${manifest.netuid}`)
      break
    }
    case 'miner': {
      if (values.relay === undefined) return fail('miner needs --relay')
      const m = await startNodeMiner({
        ...common,
        manifest,
        stateDir: values.state,
        bootstrap: await resolveBootstrap(values.relay),
        ...(secret === undefined ? {} : { secret }),
      })
      started.push(m.mesh, m.miner, { stop: () => m.runner.dispose() })
      say(`miner ${m.hotkey.address} running on ${m.runner.device} (subnet ${manifest.netuid})`)
      m.miner.onUpdate((s) => log(`miner: uid ${s.uid ?? '-'} answered ${s.queriesAnswered} score ${s.lastScore?.toFixed(3) ?? '-'} incentive ${s.incentive?.toFixed(4) ?? '-'}`))
      break
    }
    default:
      return fail(`unknown command "${command}"\n\n${USAGE}`)
  }

  await new Promise<void>((resolve) => {
    const stop = (): void => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  log('stopping…')
  for (const s of started.reverse()) {
    await s.stop().catch((err: unknown) => log(`stop failed: ${String(err)}`))
  }
  return 0
}

function fail(message: string): number {
  process.stderr.write(`webtensor: ${message}\n`)
  return 2
}
