import { fork } from 'node:child_process'
import type { SubnetManifest } from '../subnet/manifest.ts'
import type { MessageKind } from '../p2p/index.ts'
import { OwnerFeed, reportOwner, type OwnerMessage, type ParentMessage } from './owner-feed.ts'
import { CLI_BIN } from './paths.ts'
import { fileLogStore } from '../chain/log-file.ts'
import { chainDir, startOwner, startValidator, type Log, type Stoppable } from './stack.ts'
import { supervise, type Backoff, type Supervisor } from './supervisor.ts'

/**
 * The body of `webtensor owner` (the child that `start` forks): the subnet owner with the local
 * chain, and each manifest validator with a dev secret. It reports ready, then its stats and
 * recent epochs as they change, over IPC when there is a parent. Returns what to stop.
 * The chain log lives in `<stateDir>/chain`: a restarted owner replays it and resumes where it was.
 */
export async function runOwnerProcess(opts: { manifest: SubnetManifest; bootstrap: string[]; host: string; modelsDir: string; stateDir: string; log: Log }): Promise<Stoppable[]> {
  const { manifest, log } = opts
  const started: Stoppable[] = []
  // A page that hears of an epoch fetches its input from the web server at once, so the parent
  // must hold the new epochs before the owner gossips the result: send them, and wait for the
  // parent's `stored` (at most a second: a stuck parent must not stop the chain).
  let reportNow = (): number | undefined => undefined
  const beforePublish = async (kind: MessageKind): Promise<void> => {
    if (kind !== 'epoch') return
    const seq = reportNow()
    if (seq !== undefined) await parentStored(seq, 1000)
  }
  const owner = await startOwner({ manifest, bootstrap: opts.bootstrap, host: opts.host, log, beforePublish, store: fileLogStore(chainDir(opts.stateDir)) })
  started.push(owner.mesh, owner.owner)
  for (const v of manifest.validators) {
    if (v.devSecret === undefined) continue
    const val = await startValidator({ manifest, secret: v.devSecret, bootstrap: opts.bootstrap, host: opts.host, modelsDir: opts.modelsDir, log })
    started.push(val.mesh, val.validator, { stop: () => val.runner.dispose() })
    log(`validator ${val.hotkey.address} running`)
  }
  const reporter = reportOwner(owner.owner, sendToParent)
  reportNow = reporter.check
  started.push({ stop: async () => reporter.stop() })
  sendToParent({ kind: 'ready' })
  log(`owner ${owner.hotkey.address} running`)
  return started
}

/** Sends over IPC if there is a parent; a closed channel (the parent is gone) is not an error here. */
function sendToParent(message: OwnerMessage): void {
  if (process.send !== undefined && process.connected) process.send(message, undefined, {}, () => {})
}

/** Resolves when the parent answers `stored` for `seq`, after `timeoutMs`, or at once without a parent. */
function parentStored(seq: number, timeoutMs: number): Promise<void> {
  if (process.send === undefined || !process.connected) return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      process.off('message', onMessage)
      resolve()
    }
    const onMessage = (m: unknown): void => {
      const answer = m as Partial<ParentMessage> | null
      if (answer?.kind === 'stored' && answer.seq === seq) done()
    }
    const timer = setTimeout(done, timeoutMs)
    process.on('message', onMessage)
  })
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
    onMessage: (m, reply) => {
      const answer = opts.feed.accept(m)
      if (answer === false) opts.log(`owner process sent a message outside the protocol; dropped`)
      else if (answer !== true) reply(answer)
    },
    onExit: () => opts.feed.ownerGone(),
    log: opts.log,
    ...(opts.backoff === undefined ? {} : { backoff: opts.backoff }),
  })
}

export { OwnerFeed }
