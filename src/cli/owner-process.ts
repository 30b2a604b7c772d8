import { fork } from 'node:child_process'
import type { SubnetManifest } from '../subnet/manifest.ts'
import { OwnerFeed, reportOwner, type OwnerMessage } from './owner-feed.ts'
import { CLI_BIN } from './paths.ts'
import { fileLogStore } from '../chain/log-file.ts'
import { chainDir, startOwner, startValidator, type Log, type Stoppable } from './stack.ts'
import { supervise, type Backoff, type Supervisor } from './supervisor.ts'

/**
 * The body of `webtensor owner` (the child that `start` forks): the subnet owner with the local
 * chain, and each manifest validator with a dev secret. It reports ready, then its stats as they
 * change, over IPC when there is a parent. Returns what to stop.
 * The chain log lives in `<stateDir>/chain`: a restarted owner replays it and resumes where it was.
 */
export async function runOwnerProcess(opts: { manifest: SubnetManifest; bootstrap: string[]; host: string; modelsDir: string; stateDir: string; log: Log }): Promise<Stoppable[]> {
  const { manifest, log } = opts
  const started: Stoppable[] = []
  // The log is flushed to disk before each epoch is gossiped: a page that hears of an epoch finds
  // it in the log the web server serves from the same folder.
  const owner = await startOwner({ manifest, bootstrap: opts.bootstrap, host: opts.host, log, store: fileLogStore(chainDir(opts.stateDir)) })
  started.push(owner.mesh, owner.owner)
  for (const v of manifest.validators) {
    if (v.devSecret === undefined) continue
    const val = await startValidator({ manifest, secret: v.devSecret, bootstrap: opts.bootstrap, host: opts.host, modelsDir: opts.modelsDir, log })
    started.push(val.mesh, val.validator, { stop: () => val.runner.dispose() })
    log(`validator ${val.hotkey.address} running`)
  }
  const reporter = reportOwner(owner.owner, sendToParent)
  started.push({ stop: async () => reporter.stop() })
  sendToParent({ kind: 'ready' })
  log(`owner ${owner.hotkey.address} running`)
  return started
}

/** Sends over IPC if there is a parent; a closed channel (the parent is gone) is not an error here. */
function sendToParent(message: OwnerMessage): void {
  if (process.send !== undefined && process.connected) process.send(message, undefined, {}, () => {})
}

/**
 * Parent side of `webtensor start`: forks `webtensor owner <args>` and keeps it running (restarts
 * with back-off), feeding what it reports into `feed` for the web API. Its output is printed
 * with an `[owner]` prefix.
 */
export function superviseOwner(opts: { args: string[]; feed: OwnerFeed; log: Log; backoff?: Backoff }): Supervisor {
  // A debugger flag of the parent would make the child fight for the same port.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--inspect'))
  return supervise({
    name: 'owner',
    spawn: () => fork(CLI_BIN, ['owner', ...opts.args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv }),
    onMessage: (m) => {
      if (!opts.feed.accept(m)) opts.log(`owner process sent a message outside the protocol; dropped`)
    },
    onExit: () => opts.feed.ownerGone(),
    log: opts.log,
    ...(opts.backoff === undefined ? {} : { backoff: opts.backoff }),
  })
}

export { OwnerFeed }
