import { test } from 'node:test'
import assert from 'node:assert/strict'
import { registerByPow, type PowHead, type PowRegisterProgress, type PowWork } from './pow-register.ts'
import { createInlineSolver, type PowSolver } from './pow-solver.ts'
import { blockHashFor, meetsDifficulty, sealHash } from './seal.ts'

const HOTKEY = new Uint8Array(32).fill(0x42)
const UNREACHABLE = 1n << 200n

/** A chain head that advances on demand and checks work as subtensor's do_registration does. */
class FakeChain {
  private hashes: Uint8Array[] = []
  block = -1
  difficulty = 2000n
  registered = false
  /** When false, submissions are dropped (lost, or beaten to the slot). */
  accepting = true
  submissions: PowWork[] = []
  private readonly genesis = new Uint8Array(32).fill(1)

  advance(): void {
    this.block += 1
    const parent = this.hashes.at(-1) ?? new Uint8Array(32)
    this.hashes.push(blockHashFor(this.genesis, this.block, parent))
  }

  latest = (): PowHead | null => (this.block < 0 ? null : { block: this.block, blockHash: this.hashes[this.block]!, difficulty: this.difficulty })

  submit = async (work: PowWork): Promise<void> => {
    this.submissions.push(work)
    // InvalidWorkBlock, InvalidDifficulty, InvalidSeal.
    assert.ok(work.block <= this.block && this.block - work.block < 3, `work for block ${work.block} at head ${this.block}`)
    assert.ok(meetsDifficulty(work.seal, this.difficulty))
    assert.deepEqual(work.seal, sealHash(this.hashes[work.block]!, work.nonce, HOTKEY))
    if (this.accepting) this.registered = true
  }

  isRegistered = (): boolean => this.registered
}

/** The inline solver, recording each job and its abort signal. */
function recordingSolver(): { solve: PowSolver; jobs: { difficulty: bigint; signal: AbortSignal }[] } {
  const inline = createInlineSolver()
  const jobs: { difficulty: bigint; signal: AbortSignal }[] = []
  const solve: PowSolver = (job, opts = {}) => {
    jobs.push({ difficulty: job.difficulty, signal: opts.signal! })
    return inline(job, opts)
  }
  return { solve, jobs }
}

const phases = (lines: PowRegisterProgress[]): string[] => lines.map((l) => l.phase).filter((p, i, all) => i === 0 || p !== all[i - 1])

test('registerByPow waits for a head, solves, submits, and sees the registration', async () => {
  const chain = new FakeChain()
  const lines: PowRegisterProgress[] = []
  const { solve, jobs } = recordingSolver()
  setTimeout(() => chain.advance(), 30)
  await registerByPow({ hotkeyPublicKey: HOTKEY, latest: chain.latest, solve, submit: chain.submit, isRegistered: chain.isRegistered, onProgress: (l) => lines.push(l), pollMs: 10 })
  assert.deepEqual(phases(lines), ['waiting', 'solving', 'submitted', 'registered'])
  assert.equal(jobs.length, 1)
  assert.equal(chain.submissions.length, 1)
  assert.equal(chain.submissions[0]!.block, 0)
  assert.deepEqual(lines.find((l) => l.phase === 'solving'), { phase: 'solving', difficulty: 2000n, block: 0 })
})

test('registerByPow restarts on the new head when the chain outruns the job', async () => {
  const chain = new FakeChain()
  chain.advance()
  chain.difficulty = UNREACHABLE
  const { solve, jobs } = recordingSolver()
  const lines: PowRegisterProgress[] = []
  // A block every 20 ms; from block 3 on (the first job is then stale) the difficulty drops.
  const timer = setInterval(() => {
    if (chain.block >= 8) return
    chain.advance()
    if (chain.block >= 3) chain.difficulty = 2000n
  }, 20)
  try {
    await registerByPow({ hotkeyPublicKey: HOTKEY, latest: chain.latest, solve, submit: chain.submit, isRegistered: chain.isRegistered, onProgress: (l) => lines.push(l), pollMs: 5 })
  } finally {
    clearInterval(timer)
  }
  assert.ok(jobs.length >= 2)
  assert.equal(jobs[0]!.difficulty, UNREACHABLE)
  assert.equal(jobs[0]!.signal.aborted, true)
  assert.equal(chain.registered, true)
  const solvingBlocks = lines.filter((l) => l.phase === 'solving' && l.tries === undefined).map((l) => l.block!)
  assert.equal(solvingBlocks[0], 0)
  assert.ok(solvingBlocks[1]! >= 3, `restarted at ${solvingBlocks[1]}`)
  assert.ok(chain.submissions.every((w) => w.block >= 3))
})

test('registerByPow solves again when a submission does not land within confirmBlocks', async () => {
  const chain = new FakeChain()
  chain.advance()
  chain.accepting = false
  const lines: PowRegisterProgress[] = []
  const timer = setInterval(() => {
    if (chain.block < 30) chain.advance()
    // Accept from the second submission on.
    if (chain.submissions.length >= 1 && chain.block >= (chain.submissions[0]!.block + 3)) chain.accepting = true
  }, 15)
  try {
    await registerByPow({ hotkeyPublicKey: HOTKEY, latest: chain.latest, solve: createInlineSolver(), submit: chain.submit, isRegistered: chain.isRegistered, onProgress: (l) => lines.push(l), pollMs: 5 })
  } finally {
    clearInterval(timer)
  }
  assert.ok(chain.submissions.length >= 2)
  assert.ok(lines.filter((l) => l.phase === 'submitted').length >= 2)
  assert.equal(lines.at(-1)?.phase, 'registered')
})

test('registerByPow: already registered returns at once; abort rejects and stops the solve; submit errors propagate', async () => {
  const chain = new FakeChain()
  chain.advance()
  chain.registered = true
  const { solve, jobs } = recordingSolver()
  const lines: PowRegisterProgress[] = []
  await registerByPow({ hotkeyPublicKey: HOTKEY, latest: chain.latest, solve, submit: chain.submit, isRegistered: chain.isRegistered, onProgress: (l) => lines.push(l) })
  assert.deepEqual(lines, [{ phase: 'registered' }])
  assert.equal(jobs.length, 0)

  chain.registered = false
  chain.difficulty = UNREACHABLE
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 30)
  await assert.rejects(
    registerByPow({ hotkeyPublicKey: HOTKEY, latest: chain.latest, solve, submit: chain.submit, isRegistered: chain.isRegistered, signal: controller.signal }),
    { name: 'AbortError' },
  )
  assert.equal(jobs.length, 1)
  assert.equal(jobs[0]!.signal.aborted, true)

  chain.difficulty = 100n
  const refused = async (): Promise<void> => { throw new Error('TooManyRegistrationsThisInterval') }
  await assert.rejects(registerByPow({ hotkeyPublicKey: HOTKEY, latest: chain.latest, solve, submit: refused, isRegistered: chain.isRegistered }), /TooManyRegistrations/)
})
