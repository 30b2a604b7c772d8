// The miner's door and the validator's scoring, on an in-memory mesh with a fake chain and the
// real tiny model.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { FakeChain, MemoryHub } from '../../test/support/memory-mesh.ts'
import type { ModelRunner } from '../inference/index.ts'
import { DEFAULT_MANIFEST, DEFAULT_MODELS_DIR } from '../cli/paths.ts'
import { loadNodeRunner, readManifest } from '../cli/stack.ts'
import { QUERY_REQUEST, seal } from '../subnet/exchange.ts'
import { ASK_REQUEST, decodeAskRefusal } from '../subnet/ask.ts'
import { createTask, freshNonce, type SubnetTask } from '../subnet/tasks/index.ts'
import { hotkeyFromSecret, type Hotkey } from '../identity/identity.ts'
import { createMinerNode } from './miner.ts'
import { createValidatorNode } from './validator.ts'
import { BusyBudget } from './busy-budget.ts'

let runner: ModelRunner
let validatorKey: Hotkey
let minerKey: Hotkey
let strangerKey: Hotkey
const manifest = readManifest(DEFAULT_MANIFEST)
before(async () => {
  runner = await loadNodeRunner(manifest, DEFAULT_MODELS_DIR, () => {})
  ;[validatorKey, minerKey, strangerKey] = await Promise.all(['//RoleValidator', '//RoleMiner', '//RoleStranger'].map((s) => hotkeyFromSecret(s)))
})
after(() => runner.dispose())

/** A hub with a miner (uid 1) and a validator (uid 0, permit), both registered on the fake chain. */
async function setup(opts: { task?: SubnetTask; maxQueue?: number; perMinute?: number; budget?: BusyBudget; paused?: () => boolean } = {}) {
  const m = structuredClone(manifest)
  if (opts.perMinute !== undefined) m.validation.maxQueriesPerMinute = opts.perMinute
  const hub = new MemoryHub()
  const chain = new FakeChain()
  chain.setNeurons([
    { hotkey: validatorKey.address, validatorPermit: true },
    { hotkey: minerKey.address, validatorPermit: false },
  ])
  const minerMesh = hub.join(minerKey)
  const miner = createMinerNode({ manifest: m, mesh: minerMesh, chain, runner, signer: minerKey, agent: 'test', ...(opts.task ? { task: opts.task } : {}), ...(opts.maxQueue ? { maxQueue: opts.maxQueue } : {}), ...(opts.budget ? { budget: opts.budget } : {}), ...(opts.paused ? { paused: opts.paused } : {}) })
  await miner.start()
  const validatorMesh = hub.join(validatorKey)
  const strangerMesh = hub.join(strangerKey)
  const task = createTask(m.task)
  const ask = (from: typeof validatorMesh, key: Hotkey, payload: Partial<{ miner: string; task: string; input: Record<string, unknown> }> = {}) =>
    from.request(
      minerMesh.peerId,
      QUERY_REQUEST,
      seal(from, key, m.netuid, 'query', { id: `q${Math.random()}`, miner: minerKey.address, task: task.name, input: task.makeInput(freshNonce()) as Record<string, unknown>, ...payload }),
    )
  return { hub, chain, miner, minerMesh, validatorMesh, strangerMesh, ask, task, manifest: m, stop: () => miner.stop() }
}

test('a miner answers a permitted validator, signed, for that validator only', async () => {
  const s = await setup()
  try {
    const reply = await s.ask(s.validatorMesh, validatorKey)
    assert.ok(reply.byteLength > 0)
    assert.equal(s.miner.stats().queriesAnswered, 1)
  } finally {
    await s.stop()
  }
})

test('a paused miner runs nothing (refused as paused) and answers again once resumed', async () => {
  let paused = true
  const s = await setup({ paused: () => paused })
  try {
    await assert.rejects(s.ask(s.validatorMesh, validatorKey), { code: 'request_failed' })
    assert.deepEqual(s.miner.stats().queriesRefused, { paused: 1 })
    assert.equal(s.miner.stats().queriesAnswered, 0)
    paused = false
    await s.ask(s.validatorMesh, validatorKey)
    assert.equal(s.miner.stats().queriesAnswered, 1)
  } finally {
    await s.stop()
  }
})

test('a miner over its busy-time budget refuses (throttled) and the model time it spent is recorded', async () => {
  // No burst to speak of (a window of 1 ms) at 0.1 %: one answer of d ms leaves a debt that takes 1000·d ms to pay.
  const budget = new BusyBudget(0.001, performance.now(), 1)
  const s = await setup({ budget })
  try {
    await s.ask(s.validatorMesh, validatorKey)
    assert.equal(s.miner.stats().queriesAnswered, 1)
    assert.ok(budget.creditAt(performance.now()) < 0, 'the answer\'s model time was taken off the budget')
    await assert.rejects(s.ask(s.validatorMesh, validatorKey), { code: 'request_failed' })
    assert.deepEqual(s.miner.stats().queriesRefused, { throttled: 1 })
    assert.equal(s.miner.stats().queriesAnswered, 1)
  } finally {
    await s.stop()
  }
})

test('the miner door refuses strangers, other miners\' queries, other tasks, over-budget inputs and forged peers, without working', async () => {
  const s = await setup()
  try {
    const refused = async (p: Promise<unknown>) => assert.rejects(p, { code: 'request_failed' })
    await refused(s.ask(s.strangerMesh, strangerKey))
    await refused(s.ask(s.validatorMesh, validatorKey, { miner: strangerKey.address }))
    await refused(s.ask(s.validatorMesh, validatorKey, { task: 'embedding' }))
    await refused(s.ask(s.validatorMesh, validatorKey, { input: { ...(s.task.makeInput(freshNonce()) as object), maxNewTokens: 4096 } }))
    // A validator's envelope replayed by the stranger's peer: signed for another peer id.
    const bytes = seal(s.validatorMesh, validatorKey, s.manifest.netuid, 'query', { id: 'x', miner: minerKey.address, task: s.task.name, input: s.task.makeInput(freshNonce()) as Record<string, unknown> })
    await refused(s.strangerMesh.request(s.minerMesh.peerId, QUERY_REQUEST, bytes))
    await refused(s.strangerMesh.request(s.minerMesh.peerId, QUERY_REQUEST, new Uint8Array([1, 2, 3])))
    assert.deepEqual(s.miner.stats().queriesRefused, { no_permit: 1, not_for_me: 1, wrong_task: 1, bad_input: 1, wrong_peer: 1, malformed: 1 })
    assert.equal(s.miner.stats().queriesAnswered, 0)
  } finally {
    await s.stop()
  }
})

test('a validator over its rate is refused; a busy miner refuses instead of queueing', async () => {
  const slow = createTask(manifest.task)
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const s = await setup({ perMinute: 2, maxQueue: 1, task: { ...slow, answer: async (r, i) => (await gate, slow.answer(r, i)) } })
  try {
    const first = s.ask(s.validatorMesh, validatorKey)
    await new Promise((r) => setTimeout(r, 50))
    await assert.rejects(s.ask(s.validatorMesh, validatorKey), { code: 'request_failed' }) // busy
    release()
    await first
    await s.ask(s.validatorMesh, validatorKey) // the burst's second token
    await assert.rejects(s.ask(s.validatorMesh, validatorKey), { code: 'request_failed' })
    assert.equal(s.miner.stats().queriesRefused.busy, 1)
    assert.equal(s.miner.stats().queriesRefused.rate_limit_validator, 1)
  } finally {
    await s.stop()
  }
})

test('an ask waits while a validator query runs, then is served; validators come first', async () => {
  const slow = createTask(manifest.task)
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const s = await setup({ task: { ...slow, answer: async (r, i) => (await gate, slow.answer(r, i)) } })
  try {
    const order: string[] = []
    const query = s.ask(s.validatorMesh, validatorKey).then(() => order.push('query'))
    await new Promise((r) => setTimeout(r, 50))
    const ask = s.strangerMesh
      .request(s.minerMesh.peerId, ASK_REQUEST, seal(s.strangerMesh, strangerKey, s.manifest.netuid, 'ask', { id: 'a1', miner: minerKey.address, prompt: 'Hello', maxNewTokens: 2 }))
      .then(() => order.push('ask'))
    await new Promise((r) => setTimeout(r, 300))
    assert.deepEqual(order, [], 'the ask is held while the query is in progress')
    release()
    await Promise.all([query, ask])
    assert.deepEqual(order, ['query', 'ask'])
    assert.equal(s.miner.stats().asksAnswered, 1)
    assert.deepEqual(s.miner.stats().queriesRefused, {})
  } finally {
    await s.stop()
  }
})

test('an ask the miner will not serve gets a refusal that says why, not a reset stream', async () => {
  let paused = true
  const s = await setup({ paused: () => paused })
  try {
    const askBytes = (miner: string) => seal(s.strangerMesh, strangerKey, s.manifest.netuid, 'ask', { id: `a${Math.random()}`, miner, prompt: 'Hello', maxNewTokens: 2 })
    const refusal = async (miner: string) => decodeAskRefusal(await s.strangerMesh.request(s.minerMesh.peerId, ASK_REQUEST, askBytes(miner)))
    assert.deepEqual(await refusal(minerKey.address), { refused: 'ask_paused', message: 'miner is paused' })
    paused = false
    assert.equal((await refusal(strangerKey.address))?.refused, 'ask_not_for_me')
    assert.equal(await refusal(minerKey.address), null, 'served: an answer envelope')
    assert.deepEqual(s.miner.stats().queriesRefused, { ask_paused: 1, ask_not_for_me: 1 })
    assert.equal(s.miner.stats().asksAnswered, 1)
  } finally {
    await s.stop()
  }
})

test('the validator scores a verified answer 1, a wrong one 0, silence 0, and sets weights', async () => {
  const m = structuredClone(manifest)
  m.validation.queryIntervalMs = 100
  // Rate limits have their own test above; here a refusal would score 0 and hide what is measured.
  m.validation.maxQueriesPerMinute = 60_000
  // Generous latency bounds: the three miners and the validator share one model and, in CI, a loaded
  // machine; the honest answer must not lose its score to queueing. Silence still times out.
  m.validation.responseTimeoutMs = 4000
  m.validation.latencyTargetMs = 3000
  const hub = new MemoryHub()
  const chain = new FakeChain()
  const [honestKey, wrongKey, silentKey] = await Promise.all(['//RoleHonest', '//RoleWrong', '//RoleSilent'].map((x) => hotkeyFromSecret(x)))
  chain.setNeurons([
    { hotkey: validatorKey.address, validatorPermit: true },
    { hotkey: honestKey.address, validatorPermit: false },
    { hotkey: wrongKey.address, validatorPermit: false },
    { hotkey: silentKey.address, validatorPermit: false },
  ])
  const honest = createTask(m.task)
  const wrong: SubnetTask = { ...honest, answer: async (r, i) => ({ ...((await honest.answer(r, i)) as object), logprobs: Array(m.task.name === 'text-generation' ? m.task.maxNewTokens : 0).fill(-1) }) }
  const silent: SubnetTask = { ...honest, answer: () => new Promise(() => {}) }
  const miners = [
    [honestKey, honest],
    [wrongKey, wrong],
    [silentKey, silent],
  ] as const
  const nodes = []
  for (const [key, task] of miners) {
    const node = createMinerNode({ manifest: m, mesh: hub.join(key), chain, runner, signer: key, agent: 't', task })
    await node.start()
    nodes.push(node)
  }
  const validator = createValidatorNode({ manifest: m, mesh: hub.join(validatorKey), chain, runner, signer: validatorKey, weightsEveryBlocks: 1 })
  await validator.start()
  try {
    for (const n of nodes) await n.stop().then(() => n.start()) // re-announce now that the validator listens
    const deadline = Date.now() + 30_000
    // The moving score climbs from 0 over several answers; wait for it (and for each verdict) within the deadline.
    while (Date.now() < deadline && !((validator.stats().scores[1] ?? 0) > 0.5 && validator.stats().scores[3] !== undefined && (validator.stats().verdicts.ok ?? 0) > 0 && (validator.stats().verdicts.bad_logprob ?? 0) > 0)) {
      await new Promise((r) => setTimeout(r, 100))
    }
    const st = validator.stats()
    assert.ok(st.scores[1]! > 0.5, `honest ${st.scores[1]}`)
    assert.equal(st.scores[2], 0)
    assert.equal(st.scores[3], 0)
    const before = chain.weightsSet.length
    chain.setNeurons(chain.metagraph()!.neurons, 2)
    const weightsDeadline = Date.now() + 10_000
    while (Date.now() < weightsDeadline && chain.weightsSet.length === before) await new Promise((r) => setTimeout(r, 20))
    // Sparse, as subtensor stores them: only the honest miner carries weight.
    assert.deepEqual(chain.weightsSet.at(-1), { uids: [1], weights: [65535] })
    // The honest miner's uid is pruned and given to a newcomer: the score does not pass to it.
    const newcomer = await hotkeyFromSecret('//RoleNewcomer')
    const stopped = nodes[0]!
    await stopped.stop()
    chain.setNeurons([chain.metagraph()!.neurons[0]!, { hotkey: newcomer.address, validatorPermit: false }, ...chain.metagraph()!.neurons.slice(2)], 3)
    assert.equal(validator.stats().scores[1], undefined)
    await stopped.start()
  } finally {
    await validator.stop()
    for (const n of nodes) await n.stop()
  }
})

test('a paused validator sends no query (no model work) and queries again once resumed', async () => {
  const m = structuredClone(manifest)
  m.validation.queryIntervalMs = 50
  const hub = new MemoryHub()
  const chain = new FakeChain()
  chain.setNeurons([
    { hotkey: validatorKey.address, validatorPermit: true },
    { hotkey: minerKey.address, validatorPermit: false },
  ])
  const miner = createMinerNode({ manifest: m, mesh: hub.join(minerKey), chain, runner, signer: minerKey, agent: 't' })
  let paused = true
  const validator = createValidatorNode({ manifest: m, mesh: hub.join(validatorKey), chain, runner, signer: validatorKey, paused: () => paused })
  await validator.start()
  await miner.start() // announces after the validator listens
  try {
    await new Promise((r) => setTimeout(r, 600)) // a dozen round intervals
    assert.equal(validator.stats().queriesSent, 0)
    paused = false
    const deadline = Date.now() + 20_000
    while (Date.now() < deadline && validator.stats().answersVerified === 0) await new Promise((r) => setTimeout(r, 50))
    assert.ok(validator.stats().queriesSent > 0)
    assert.ok(validator.stats().answersVerified > 0)
  } finally {
    await validator.stop()
    await miner.stop()
  }
})
