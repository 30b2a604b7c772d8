import { compareEpoch, openEpochReader, expectedMock, expectedYuma, raonetCoinbase, type EpochDifference, type EpochField, type EpochFunction, type EpochInputs, type ExpectedEpoch } from '../chain/subtensor/index.ts'
import { parseCommandArgs, usageError } from './args.ts'
import type { YumaIo } from './yuma.ts'

const USAGE = `Usage: webtensor verify --chain ws://HOST:PORT --netuid N [--block B] [--epoch-fn yuma|mock] [--json]

Re-derives one epoch of a subtensor subnet: reads everything the epoch read (the state at the
epoch block's parent: weights, bonds, stake, permits, last updates, registration blocks,
hyperparameters, the coinbase's pools), runs the epoch function the runtime runs, and compares
what it gives with what the runtime stored at the epoch block, field by field (incentive,
dividends, consensus, trust, rank, validator trust, emission, permits, active, stake weight,
pruning scores, bonds). Names every difference: uid, field, chain value, ours.

Options:
  --chain URL       the subtensor node's WebSocket endpoint
  --netuid N        the subnet
  --block B         the epoch at or after block B (default: the latest epoch)
  --epoch-fn F      yuma (Yuma consensus, webtensor's exact implementation) or mock (the
                    raonet rao builds' epoch_mock); default: what the runtime's metadata says
  --json            print the result as one JSON object
  -h, --help        this text

Exit codes: 0 every compared value equal, 1 a difference, 2 unreachable, unreadable or bad usage.
`

/** Options of `verifyChain` (the CLI's, plus a hook tests use to feed a wrong input on purpose). */
export interface VerifyChainOptions {
  url: string
  netuid: number
  block?: number
  epochFn?: EpochFunction
  /** Changes the inputs read from the chain before the epoch runs (tests: a deliberately wrong input). */
  alterInputs?: (inputs: EpochInputs) => void
}

/** The outcome of one `verify --chain`. */
export interface VerifyChainResult {
  session: string
  netuid: number
  block: number
  epochFn: EpochFunction
  compared: EpochField[]
  skipped: ExpectedEpoch['skipped']
  differences: EpochDifference[]
  raoEmission: string | null
  /** With `mock`: what Yuma would have stored for the same inputs (u16 incentive and dividends). */
  yumaWouldStore?: { incentive: number[]; dividends: number[] }
  seconds: { read: number; epoch: number }
}

/**
 * Re-derives the epoch and compares it with the chain. Throws `SubtensorError` when the node is
 * unreachable or the subnet, block or storage is not there.
 */
export async function verifyChain(o: VerifyChainOptions): Promise<VerifyChainResult> {
  const reader = await openEpochReader(o.url)
  try {
    const fn = o.epochFn ?? reader.epochFunction
    const block = await reader.epochBlock(o.netuid, o.block)
    const t0 = performance.now()
    const { inputs, stored } = await reader.read(o.netuid, block)
    const t1 = performance.now()
    o.alterInputs?.(inputs)
    let expected: ExpectedEpoch
    let yumaWouldStore: VerifyChainResult['yumaWouldStore']
    // On the raonet runtime the coinbase decides what the epoch distributes and stakes the
    // owner's cut first; elsewhere the emission handed to Yuma is not re-derived.
    const coin = reader.epochFunction === 'mock' ? raonetCoinbase(inputs) : null
    const epochInputs = coin?.inputs ?? inputs
    const rao = coin?.remaining ?? null
    if (fn === 'mock') {
      expected = expectedMock(epochInputs, rao ?? 0n)
      const y = expectedYuma(epochInputs, rao).output
      yumaWouldStore = { incentive: y.u16.incentive, dividends: y.u16.dividends }
    } else expected = expectedYuma(epochInputs, rao).expected
    const t2 = performance.now()
    const { differences, compared } = compareEpoch(expected, stored)
    return {
      session: reader.session,
      netuid: o.netuid,
      block,
      epochFn: fn,
      compared,
      skipped: expected.skipped,
      differences,
      raoEmission: expected.raoEmission === null ? null : expected.raoEmission.toString(),
      ...(yumaWouldStore === undefined ? {} : { yumaWouldStore }),
      seconds: { read: (t1 - t0) / 1000, epoch: (t2 - t1) / 1000 },
    }
  } finally {
    await reader.close()
  }
}

/**
 * `webtensor verify --chain …`: argv is what follows `verify`. Resolves to the exit code.
 * @example await verifyChainCommand(["--chain", "ws://127.0.0.1:9944", "--netuid", "2"], io)
 */
export async function verifyChainCommand(argv: string[], io: YumaIo): Promise<number> {
  const args = parseCommandArgs('verify', USAGE, argv, {
    chain: { type: 'string' }, netuid: { type: 'string' }, block: { type: 'string' }, 'epoch-fn': { type: 'string' },
    json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
  }, io)
  if (args.exit !== undefined) return args.exit
  const { values } = args
  const bad = (why: string): number => usageError('verify', USAGE, why, io)
  if (args.positionals.length > 0) return bad(`unexpected argument ${args.positionals[0]!}`)
  if (values.chain === undefined || !/^wss?:\/\//.test(values.chain)) return bad('--chain takes a ws:// or wss:// URL')
  const netuid = Number(values.netuid)
  if (values.netuid === undefined || !Number.isInteger(netuid) || netuid < 0 || netuid > 0xffff) return bad('--netuid takes a subnet number 0..65535')
  const block = values.block === undefined ? undefined : Number(values.block)
  if (block !== undefined && (!Number.isInteger(block) || block < 1)) return bad('--block takes a block number >= 1')
  const fn = values['epoch-fn']
  if (fn !== undefined && fn !== 'yuma' && fn !== 'mock') return bad('--epoch-fn is yuma or mock')
  let r: VerifyChainResult
  try {
    r = await verifyChain({ url: values.chain, netuid, ...(block === undefined ? {} : { block }), ...(fn === undefined ? {} : { epochFn: fn }) })
  } catch (err) {
    io.stderr.write(`webtensor verify: ${(err as Error).message}\n`)
    return 2
  }
  if (values.json === true) io.stdout.write(`${JSON.stringify(r)}\n`)
  else {
    const head = `subnet ${r.netuid} on ${r.session}, epoch at block ${r.block} (function: ${r.epochFn}${r.raoEmission === null ? '' : `, ${r.raoEmission} rao distributed`})`
    const skipped = Object.entries(r.skipped).map(([f, why]) => `${f} (${why})`)
    const lines = [head, `compared: ${r.compared.join(', ')}`]
    if (skipped.length > 0) lines.push(`not compared: ${skipped.join('; ')}`)
    if (r.yumaWouldStore !== undefined) lines.push(`this runtime runs no Yuma; Yuma on the same inputs would store incentive ${JSON.stringify(r.yumaWouldStore.incentive)}, dividends ${JSON.stringify(r.yumaWouldStore.dividends)}`)
    for (const d of r.differences) lines.push(`DIFFERENT ${d.field}${d.uid === null ? '' : `[uid ${d.uid}]`}: chain ${d.chain}, ours ${d.ours}`)
    lines.push(r.differences.length === 0 ? 'all compared values equal' : `${r.differences.length} difference(s)`)
    io.stdout.write(`${lines.join('\n')}\n`)
  }
  return r.differences.length === 0 ? 0 : 1
}
