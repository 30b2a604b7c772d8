import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChildStartError, restartDelay, supervise } from './supervisor.ts'

const dir = mkdtempSync(join(tmpdir(), 'wt-sup-'))
/** A child that prints a line, reports ready and a counter, and lives until told to stop. */
const HEALTHY = join(dir, 'healthy.mjs')
writeFileSync(HEALTHY, "console.log('hello from', process.pid); process.send({ kind: 'ready' }); process.send({ kind: 'tick', pid: process.pid }); process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)\n")
/** A child that fails before it is ready, as a bad configuration would. */
const BROKEN = join(dir, 'broken.mjs')
writeFileSync(BROKEN, "console.error('no owner secret'); process.exit(3)\n")

const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

test('back-off doubles per quick failure up to the cap', () => {
  const b = { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 }
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 100].map((f) => restartDelay(f, b)), [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000])
})

test('a killed child is restarted with back-off; its lines are prefixed; stop ends it for good', async () => {
  const messages: unknown[] = []
  const lines: string[] = []
  const logs: string[] = []
  let exits = 0
  const sup = supervise({
    name: 'kid',
    spawn: () => fork(HEALTHY, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }),
    onMessage: (m) => messages.push(m),
    onExit: () => exits++,
    log: (l) => logs.push(l),
    out: (l) => lines.push(l),
    backoff: { initialMs: 50, maxMs: 200, resetAfterMs: 60_000 },
  })
  await sup.ready
  assert.equal(sup.state, 'running')
  const first = sup.pid!
  await until(() => lines.some((l) => l === `[kid] hello from ${first}`))

  process.kill(first, 'SIGKILL')
  await until(() => sup.pid !== undefined && sup.pid !== first && sup.state === 'running')
  assert.equal(sup.restarts, 1)
  assert.equal(exits, 1)
  assert.ok(logs.some((l) => /kid process \d+ exited \(SIGKILL\); restarting in 0\.1 s/.test(l)), logs.join('\n'))
  await until(() => messages.some((m) => (m as { pid?: number }).pid === sup.pid))

  const second = sup.pid!
  await sup.stop()
  assert.equal(sup.state, 'stopped')
  assert.equal(exits, 2)
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(sup.pid, undefined, 'no restart after stop')
  assert.throws(() => process.kill(second, 0), 'the child is gone')
})

test('a child that dies before it is ready fails `ready` instead of looping', async () => {
  const lines: string[] = []
  let spawned = 0
  const sup = supervise({
    name: 'owner',
    spawn: () => (spawned++, fork(BROKEN, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })),
    onMessage: () => {},
    log: () => {},
    out: (l, stream) => lines.push(`${stream} ${l}`),
    backoff: { initialMs: 10, maxMs: 10, resetAfterMs: 60_000 },
  })
  await assert.rejects(sup.ready, (err: unknown) => err instanceof ChildStartError && /exited \(code 3\) before it was ready/.test(err.message))
  await new Promise((r) => setTimeout(r, 100))
  assert.equal(spawned, 1)
  assert.equal(sup.state, 'stopped')
  await until(() => lines.includes('stderr [owner] no owner secret'))
})
