import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { LOG_FILE } from '../chain/log-file.ts'
import { minerProgress } from './miner-progress.ts'
import { CliUsageError, NET_FLAG_SPECS, parseNetFlags, type NetOptions } from './net-options.ts'
import { DEFAULT_MANIFEST, DEFAULT_MODELS_DIR, DEFAULT_STATE_DIR } from './paths.ts'
import { SECRET_ENV, SecretSourceError, WALLET_FLAG_SPECS, resolveNodeSecret, walletLocation } from './secret-source.ts'
import { SubtensorError } from '../chain/subtensor/errors.ts'
import type { Stoppable } from './stack.ts'

const USAGE = `webtensor — a browser-native, peer-to-peer miner/validator node

Usage: webtensor <command> [options]

Commands:
  start       relay + web app + the embedded default subnet (owner and one validator) on one host;
              the owner and validators run in a child process, restarted if it dies; with
              --chain ws://… --netuid N: relay + web app on a subtensor subnet (no owner; with a
              validator hotkey, a validator too)
  relay       the relay/bootstrap node and the web server (app, models, onnxruntime wasm)
  validator   a Node validator joining a running subnet (--relay, --secret-file); with
              --chain ws://… --netuid N it follows a subtensor subnet and sets weights there
  miner       a headless Node miner on onnxruntime-node (--relay); with --chain/--netuid its
              hotkey must already be registered on that subtensor subnet (burned_register)
  yuma        run Yuma Consensus epochs on JSON input (webtensor yuma run --help)
  wallet      show a btcli wallet's hotkey and coldkey addresses; register its hotkey on a
              subtensor subnet, signed by its coldkey (webtensor wallet --help)
  ask         ask a running subnet's miners a prompt; prints each signed answer (webtensor ask --help)
  verify      re-derive every epoch of a local subnet from its signed log (webtensor verify --help)
  simulate    run a subnet scenario (honest and adversarial peers, faults, Yuma variants) and
              check its expectations; writes report.json + report.html (webtensor simulate --help)
  owner       (internal: what \`start\` forks) the owner and the manifest's validators (--relay)

Options (start, relay, validator, miner):
  --host H           address to listen on            (default 127.0.0.1)
  --port P           web server port, 0 = any        (default 8080)
  --relay-port P     relay WebSocket port, 0 = any   (default 9090)
  --relay ADDR       relay to join: a multiaddr, or the http URL of a webtensor server
  --manifest FILE    subnet manifest                 (default subnets/default.json)
  --models DIR       folder of model files           (default ~/.webtensor/models)
  --state DIR        keys and state                  (default ~/.webtensor; WEBTENSOR_HOME moves both)
  --secret-file PATH file holding the hotkey secret (mnemonic or //Dev URI); or set ${SECRET_ENV};
                     miners default to a key kept in --state
  --secret URI       the secret itself: visible to other users in ps, prefer --secret-file
  --wallet.name NAME --wallet.hotkey HOTKEY [--wallet.path DIR]
                     use the hotkey of a btcli wallet (DIR/NAME/hotkeys/HOTKEY; default DIR
                     ~/.bittensor/wallets, NAME and HOTKEY "default")
  --coldkey-password-file PATH  the wallet coldkey's password (or WEBTENSOR_COLDKEY_PASSWORD; never
                     argv), for what signs with the coldkey (registration on a chain)
  --quiet            print only the essential lines

Subtensor options (start, validator, miner; docs/architecture.md "Run on subtensor"):
  --chain URL        a subtensor node's WebSocket endpoint (ws:// or wss://): the chain to follow
                     instead of the subnet owner's embedded chain
  --netuid N         the subtensor subnet (required with --chain)

Network options (start, relay; see docs/deploy.md):
  --tls-cert FILE    PEM certificate (chain): the relay listens on wss and the web server on https
  --tls-key FILE     its PEM private key
  --announce ADDR    public relay multiaddr handed to browsers, e.g. /dns4/relay.example.org/tcp/443/wss
                     (behind a TLS-terminating proxy); repeatable
  --ice-servers JSON static STUN/TURN servers for pages, e.g. '[{"urls":"stun:stun.example.org:3478"}]'
  --turn URL         TURN server whose credentials are minted per page (repeatable), with
  --turn-secret-file FILE  coturn's static-auth-secret (use-auth-secret)
  --turn-ttl S       lifetime of minted TURN credentials in seconds (default 86400)
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
  if (command === 'verify') {
    const { verifyCommand } = await import('./verify.ts')
    return verifyCommand(rest, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr })
  }
  if (command === 'wallet') {
    const { walletCommand } = await import('./wallet.ts')
    return walletCommand(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env })
  }
  if (command === 'ask') {
    const { askCommand } = await import('./ask.ts')
    return askCommand(rest, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr })
  }
  if (command === 'simulate') {
    const { simulateCommand } = await import('./simulate.ts')
    return simulateCommand(rest, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr })
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
        chain: { type: 'string' },
        netuid: { type: 'string' },
        ...NET_FLAG_SPECS,
        ...WALLET_FLAG_SPECS,
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
  let net: NetOptions
  try {
    net = parseNetFlags(values)
  } catch (err) {
    if (err instanceof CliUsageError) return fail(err.message)
    throw err
  }
  let subtensor: { url: string; netuid: number } | undefined
  if (values.chain !== undefined || values.netuid !== undefined) {
    if (command !== 'validator' && command !== 'miner' && command !== 'start') return fail('--chain and --netuid apply to start, validator and miner only')
    if (values.chain === undefined || !/^wss?:\/\//.test(values.chain)) return fail(`--chain needs a ws:// or wss:// URL, got ${values.chain ?? 'nothing'}`)
    const netuid = Number(values.netuid)
    if (values.netuid === undefined || !Number.isInteger(netuid) || netuid < 0 || netuid > 65535) return fail(`--netuid must be 0..65535 with --chain, got ${values.netuid ?? 'nothing'}`)
    subtensor = { url: values.chain, netuid }
  }
  const quiet = values.quiet
  const log = (line: string): void => {
    if (!quiet) process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`)
  }
  const say = (line: string): void => void process.stdout.write(`${line}\n`)
  let secret: string | undefined
  // `start --chain` may run a validator too: with a hotkey given, never a generated one.
  if (command === 'validator' || command === 'miner' || (command === 'start' && subtensor !== undefined)) {
    try {
      const resolved = await resolveNodeSecret({ secret: values.secret, secretFile: values['secret-file'], env: process.env[SECRET_ENV], wallet: walletLocation(values) })
      secret = resolved?.secret
      for (const warning of resolved?.warnings ?? []) process.stderr.write(`webtensor: warning: ${warning}\n`)
    } catch (err) {
      if (err instanceof SecretSourceError) return fail(err.message)
      throw err
    }
  }
  // The node stack (libp2p, onnxruntime, the server) loads only for the commands that run it:
  // `verify`, `yuma`, `simulate` and usage errors answer without it.
  const { chainDir, readManifest, resolveBootstrap, startNodeMiner, startRelayStack, startValidator } = await import('./stack.ts')
  const { OwnerFeed, runOwnerProcess, superviseOwner } = await import('./owner-process.ts')
  const started: Stoppable[] = []
  // A subtensor client past its reconnect attempts is dead: stop everything and exit 1 (a
  // supervisor restarts the node) rather than run on without a chain.
  let exitCode = 0
  let stopNow: (() => void) | undefined
  const watchChain = (client: unknown): void => {
    const c = client as { onConnection?: (h: (e: { state: string; error?: string }) => void) => () => void }
    c.onConnection?.((e) => {
      if (e.state !== 'failed') return
      process.stderr.write(`webtensor: the subtensor node is gone: ${e.error ?? 'no answer'}; stopping\n`)
      exitCode = 1
      stopNow?.()
    })
  }
  const manifest = readManifest(values.manifest)
  const common = { host: values.host, modelsDir: values.models, log }

  switch (command) {
    case 'start':
    case 'relay': {
      if (command === 'start' && subtensor !== undefined) {
        const { connectSubtensor } = await import('../chain/subtensor/index.ts')
        const { subtensorChainView } = await import('./stack.ts')
        let follower
        try {
          // Read-only: what the web server shows and pages mine against.
          follower = await connectSubtensor({ url: subtensor.url, netuid: subtensor.netuid, log })
        } catch (err) {
          if (err instanceof SubtensorError) return fail(err.message)
          throw err
        }
        watchChain(follower)
        const view = subtensorChainView(follower, subtensor.url, log)
        started.push({ stop: () => follower.close() }, { stop: async () => view.stop() })
        let stack
        try {
          stack = await startRelayStack({ ...common, port, relayPort, stateDir: values.state, manifest, net, chainView: view })
        } catch (err) {
          for (const s of started.reverse()) await s.stop().catch(() => {})
          if (err instanceof CliUsageError) return fail(err.message)
          throw err
        }
        started.push(stack.server, stack.relay)
        if (secret !== undefined) {
          try {
            const val = await startValidator({ ...common, manifest, secret, bootstrap: [localAddress(stack.bootstrap)], subtensor })
            started.push({ stop: async () => val.chain.close?.() }, val.mesh, val.validator, val.chainPeers, { stop: () => val.runner.dispose() })
            watchChain(val.chain)
            say(`validator ${val.hotkey.address} running on subnet ${subtensor.netuid} of ${subtensor.url}`)
          } catch (err) {
            for (const s of started.reverse()) await s.stop().catch(() => {})
            if (err instanceof SubtensorError) return fail(err.message)
            throw err
          }
        }
        say(`webtensor subnet ${subtensor.netuid} of ${subtensor.url} is up (no owner here: subtensor runs the epochs)`)
        say(`open ${stack.server.url} to mine (a page mines once its hotkey has a uid: npx webtensor wallet register --chain ${subtensor.url} --netuid ${subtensor.netuid} --hotkey-ss58 ADDRESS)`)
        say(`metagraph: ${new URL('api/chain/metagraph', stack.server.url).href}`)
        break
      }
      const feed = command === 'start' ? new OwnerFeed() : undefined
      let stack
      try {
        stack = await startRelayStack({ ...common, port, relayPort, stateDir: values.state, manifest, net, ...(feed === undefined ? {} : { owner: feed }) })
      } catch (err) {
        if (err instanceof CliUsageError) return fail(err.message) // flags that clash with the manifest or the relay key
        throw err
      }
      started.push(stack.server, stack.relay)
      if (feed !== undefined) {
        // The owner and validators run in a supervised child: a crash there restarts them, while
        // the relay and the web server here keep serving. They dial the relay's plain local address.
        const args = ['--relay', localAddress(stack.bootstrap), '--host', values.host, '--manifest', values.manifest, '--models', values.models, '--state', values.state]
        const owner = superviseOwner({ args: values.quiet ? [...args, '--quiet'] : args, feed, log })
        started.push(owner)
        try {
          await owner.ready
        } catch (err) {
          for (const s of started.reverse()) await s.stop().catch(() => {})
          return fail(`${(err as Error).message} (see its [owner] lines above)`)
        }
      }
      say(`webtensor ${command === 'start' ? `subnet ${manifest.netuid} (${manifest.name})` : 'relay'} is up`)
      say(`open ${stack.server.url} to mine`)
      if (command === 'start') say(`subnet dashboard: ${new URL('dashboard.html', stack.server.url).href}`)
      if (command === 'start') say(`device check (WebGPU, shader-f16, threads): ${new URL('device.html', stack.server.url).href}`)
      if (command === 'start') say(`chain log: ${join(chainDir(values.state), LOG_FILE)} (verify: npx webtensor verify ${stack.server.url.replace(/\/$/, '')})`)
      break
    }
    case 'owner': {
      if (values.relay === undefined) return fail('owner needs --relay')
      started.push(...(await runOwnerProcess({ ...common, manifest, stateDir: values.state, bootstrap: await resolveBootstrap(values.relay) })))
      break
    }
    case 'validator': {
      if (values.relay === undefined || secret === undefined) return fail(`validator needs --relay and a secret (--wallet.name/--wallet.hotkey, --secret-file PATH or ${SECRET_ENV})`)
      let val
      try {
        val = await startValidator({ ...common, manifest, secret, bootstrap: await resolveBootstrap(values.relay), ...(subtensor === undefined ? {} : { subtensor }) })
      } catch (err) {
        if (err instanceof SubtensorError) return fail(err.message) // the chain cannot be reached or lacks the subnet
        throw err
      }
      started.push({ stop: async () => val.chain.close?.() }, val.mesh, val.validator, val.chainPeers, { stop: () => val.runner.dispose() })
      if (subtensor !== undefined) watchChain(val.chain)
      say(`validator ${val.hotkey.address} running on subnet ${subtensor === undefined ? manifest.netuid : `${subtensor.netuid} of ${subtensor.url}`}`)
      break
    }
    case 'miner': {
      if (values.relay === undefined) return fail('miner needs --relay')
      // Registration progress (the proof of work), the uid, and the miner's counters as they change.
      const lines = minerProgress()
      let m
      try {
        m = await startNodeMiner({
          ...common,
          manifest,
          stateDir: values.state,
          bootstrap: await resolveBootstrap(values.relay),
          ...(secret === undefined ? {} : { secret }),
          ...(subtensor === undefined ? {} : { subtensor }),
          onUpdate: (s) => {
            const out = lines(s, Date.now())
            for (const line of out.say) say(line)
            for (const line of out.log) log(line)
          },
        })
      } catch (err) {
        if (err instanceof SubtensorError) return fail(err.message)
        throw err
      }
      started.push({ stop: async () => m.chain.close?.() }, m.mesh, m.miner, m.chainPeers, { stop: () => m.runner.dispose() })
      if (subtensor !== undefined) watchChain(m.chain)
      say(`miner ${m.hotkey.address} running on ${m.runner.device} (subnet ${subtensor === undefined ? manifest.netuid : `${subtensor.netuid} of ${subtensor.url}`})`)
      break
    }
    default:
      return fail(`unknown command "${command}"\n\n${USAGE}`)
  }

  await new Promise<void>((resolve) => {
    const stop = (): void => resolve()
    stopNow = stop
    if (exitCode !== 0) stop() // the chain was lost while starting
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    // A forked `owner` whose parent is gone (even killed with SIGKILL) stops too.
    if (process.send !== undefined) process.once('disconnect', stop)
  })
  log('stopping…')
  for (const s of started.reverse()) {
    await s.stop().catch((err: unknown) => log(`stop failed: ${String(err)}`))
  }
  // An open IPC channel (a forked `owner`) would keep this process alive.
  if (process.connected) process.disconnect()
  return exitCode
}

/** The relay address a process on this host dials: loopback when the relay listens there. */
function localAddress(multiaddrs: string[]): string {
  return multiaddrs.find((a) => a.startsWith('/ip4/127.0.0.1/')) ?? multiaddrs[0] ?? ''
}

function fail(message: string): number {
  process.stderr.write(`webtensor: ${message}\n`)
  return 2
}
