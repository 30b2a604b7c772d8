/**
 * Reads, from a subtensor node, what an epoch read (the state at the epoch block's parent) and
 * what it stored (the state at the epoch block). Loaded only by `verify --chain` (dynamic import).
 */
import { ApiPromise, WsProvider } from '@polkadot/api'
import type { Codec } from '@polkadot/types/types'
import type { SparseRowU16 } from '../../scoring/index.ts'
import { SubtensorError } from './errors.ts'
import type { EpochFunction, EpochInputs, StoredEpoch, SubnetPool } from './epoch-check.ts'
import { isEpochBlock } from './rules.ts'

type Query = ((...args: unknown[]) => Promise<Codec>) & {
  entries(...args: unknown[]): Promise<[{ args: Codec[] }, Codec][]>
  multi(args: unknown[]): Promise<Codec[]>
}
type QueryModule = Record<string, Query | undefined>

const num = (c: Codec): number => Number(c.toString())
const big = (c: Codec): bigint => BigInt(c.toString())
const bool = (c: Codec): boolean => c.toString() === 'true'
const items = (c: Codec): Codec[] => [...(c as unknown as Iterable<Codec>)]
const pairs = (c: Codec): SparseRowU16 => (c.toJSON() as [number, number][]).map(([u, v]) => [Number(u), Number(v)])

/** A node connection for reading epochs. */
export interface EpochReader {
  /** `specName/specVersion`. */
  session: string
  head(): Promise<number>
  /** The epoch function this runtime's coinbase calls (see epoch-check.ts), from its metadata. */
  epochFunction: EpochFunction
  /** The epoch block for `--block B` (the epoch at or after B) or the latest one (B undefined). */
  epochBlock(netuid: number, from?: number): Promise<number>
  read(netuid: number, block: number): Promise<{ inputs: EpochInputs; stored: StoredEpoch }>
  /** Storage writes for tests: not used by the CLI. */
  api: ApiPromise
  close(): Promise<void>
}

/** Connects to `url` (one attempt, `timeoutMs` for the socket and the metadata); `unreachable` on failure. */
export async function openEpochReader(url: string, timeoutMs = 30_000): Promise<EpochReader> {
  const provider = new WsProvider(url, false, {}, timeoutMs)
  let api: ApiPromise
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    await Promise.race([
      new Promise<void>((resolve, reject) => {
        const offOk = provider.on('connected', () => {
          offErr()
          resolve()
        })
        const offErr = provider.on('error', (e: unknown) => {
          offOk()
          reject(e instanceof Error ? e : new Error('the WebSocket failed'))
        })
        provider.connect().catch(reject)
      }),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ])
    const created = ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true })
    api = await Promise.race([
      created,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no metadata within ${timeoutMs} ms`)), timeoutMs))),
    ])
  } catch (err) {
    await provider.disconnect().catch(() => {})
    throw new SubtensorError(`no subtensor node answered at ${url}: ${(err as Error).message}`, { code: 'unreachable', cause: err })
  } finally {
    clearTimeout(timer)
  }
  return readerOn(api)
}

/** An `EpochReader` on an open API (which `close` disconnects). */
export function readerOn(api: ApiPromise): EpochReader {
  const mod = (api.query as unknown as Record<string, QueryModule | undefined>).subtensorModule
  if (mod === undefined) throw new SubtensorError('the runtime has no SubtensorModule pallet', { code: 'missing_storage' })
  // The rao-branch raonet builds (the only ones with LocalStake/GlobalStake/StakeWeight storage)
  // call `epoch_mock` from `run_coinbase` in every block; every other runtime runs Yuma.
  const epochFunction: EpochFunction = mod.localStake !== undefined && mod.globalStake !== undefined && mod.stakeWeight !== undefined ? 'mock' : 'yuma'
  const need = (m: QueryModule, name: string): Query => {
    const q = m[name]
    if (q === undefined) throw new SubtensorError(`the runtime's SubtensorModule lacks the storage item ${name}`, { code: 'missing_storage' })
    return q
  }
  const at = async (hash: string): Promise<QueryModule> => ((await api.at(hash)).query as unknown as Record<string, QueryModule>).subtensorModule!
  const hashOf = async (block: number): Promise<string> => {
    const h = (await api.rpc.chain.getBlockHash(block)).toHex()
    if (/^0x0+$/.test(h)) throw new SubtensorError(`the node has no block ${block}`, { code: 'unreachable' })
    return h
  }
  const head = async (): Promise<number> => (await api.rpc.chain.getHeader()).number.toNumber()
  const lastStep = async (netuid: number, block: number): Promise<number> => {
    const m = await at(await hashOf(block))
    return m.lastMechansimStepBlock === undefined ? -1 : num(await m.lastMechansimStepBlock(netuid))
  }

  async function epochBlock(netuid: number, from?: number): Promise<number> {
    const h = await head()
    if (from === undefined) {
      // LastMechansimStepBlock is the block of the latest epoch (both functions set it).
      const last = await lastStep(netuid, h)
      if (last > 0) return last
      throw new SubtensorError(`subnet ${netuid} has run no epoch up to block ${h}`, { code: 'no_epoch' })
    }
    const tempo = num(await need(await at(await hashOf(Math.min(from, h))), 'tempo')(netuid))
    for (let b = Math.max(from, 1); b <= h; b++) {
      if (epochFunction === 'yuma' && !isEpochBlock(netuid, tempo, b)) continue
      if ((await lastStep(netuid, b)) === b) return b
      if (epochFunction === 'yuma') b += tempo - 1
    }
    throw new SubtensorError(`subnet ${netuid} ran no epoch in blocks ${from}..${h}`, { code: 'no_epoch' })
  }

  async function read(netuid: number, block: number): Promise<{ inputs: EpochInputs; stored: StoredEpoch }> {
    if (block < 1) throw new SubtensorError('an epoch block has a parent: give a block >= 1', { code: 'bad_options' })
    const [hash, parentHash] = await Promise.all([hashOf(block), hashOf(block - 1)])
    const p = await at(parentHash)
    const s = await at(hash)
    if (!bool(await need(p, 'networksAdded')(netuid))) throw new SubtensorError(`subnet ${netuid} does not exist at block ${block - 1}`, { code: 'wrong_netuid' })
    // Whether the item is in storage at all (a ValueQuery answers its default when it is not).
    const inStorage = async (name: string, ...args: unknown[]): Promise<boolean> => {
      const q = mod![name] as (Query & { key(...a: unknown[]): string }) | undefined
      if (q === undefined) return false
      const raw = (await api.rpc.state.getStorage(q.key(...args), parentHash)) as unknown as { isSome?: boolean; isEmpty: boolean }
      return raw.isSome ?? !raw.isEmpty
    }
    const opt = async (m: QueryModule, name: string, ...args: unknown[]): Promise<Codec | null> => (m[name] === undefined ? null : m[name]!(...args))
    const optNum = async (m: QueryModule, name: string, fallback: number, ...args: unknown[]): Promise<number> => {
      const c = await opt(m, name, ...args)
      return c === null ? fallback : num(c)
    }
    const n = num(await need(p, 'subnetworkN')(netuid))
    const keys = await need(p, 'keys').entries(netuid)
    const hotkeys = new Array<string>(n).fill('')
    for (const [k, v] of keys) {
      const uid = num(k.args[1]!)
      if (uid < n) hotkeys[uid] = v.toString()
    }
    const listed = hotkeys.map((h, uid) => ({ h, uid })).filter((x) => x.h !== '')
    const alphaQ = need(p, 'totalHotkeyAlpha')
    const [alpha, tao, regs] = await Promise.all([
      alphaQ.multi(listed.map((x) => [x.h, netuid])),
      alphaQ.multi(listed.map((x) => [x.h, 0])),
      need(p, 'blockAtRegistration').multi(listed.map((x) => [netuid, x.uid])),
    ])
    const alphaStake = new Array<bigint>(n).fill(0n)
    const taoStake = new Array<bigint>(n).fill(0n)
    const blockAtRegistration = new Array<number>(n).fill(0)
    listed.forEach((x, k) => {
      alphaStake[x.uid] = big(alpha[k]!)
      taoStake[x.uid] = big(tao[k]!)
      blockAtRegistration[x.uid] = num(regs[k]!)
    })
    const rows = async (m: QueryModule, name: string): Promise<SparseRowU16[]> => {
      const out: SparseRowU16[] = Array.from({ length: n }, () => [])
      for (const [k, v] of await need(m, name).entries(netuid)) {
        const uid = num(k.args[1]!)
        if (uid < n) out[uid] = pairs(v)
      }
      return out
    }
    const vec = async (m: QueryModule, name: string): Promise<Codec[]> => (m[name] === undefined ? [] : items(await m[name]!(netuid)))
    let childKeys = false
    if (p.childKeys !== undefined && p.parentKeys !== undefined) {
      const [c, pa] = await Promise.all([p.childKeys.multi(listed.map((x) => [x.h, netuid])), p.parentKeys.multi(listed.map((x) => [x.h, netuid]))])
      childKeys = [...c, ...pa].some((x) => items(x).length > 0)
    }
    const ownerHotkey = await opt(p, 'subnetOwnerHotkey', netuid)
    const ownerUid = ownerHotkey === null ? -1 : hotkeys.indexOf(ownerHotkey.toString())
    const alphaValues = await opt(p, 'alphaValues', netuid)
    const [alphaLow, alphaHigh] = alphaValues === null ? [45875, 58982] : (alphaValues.toJSON() as [number, number])
    const netuids = (await need(p, 'networksAdded').entries()).filter(([, v]) => bool(v)).map(([k]) => num(k.args[0]!))
    const subnets: SubnetPool[] = await Promise.all(netuids.map(async (u) => ({
      netuid: u,
      mechanism: await optNum(p, 'subnetMechanism', 1, u),
      subnetTao: (await opt(p, 'subnetTAO', u)) === null ? 0n : big((await opt(p, 'subnetTAO', u))!),
    })))
    const bigOr0 = async (name: string, ...args: unknown[]): Promise<bigint> => {
      const c = await opt(p, name, ...args)
      return c === null ? 0n : big(c)
    }
    const inputs: EpochInputs = {
      netuid,
      block,
      n,
      hotkeys,
      alphaStake,
      taoStake,
      taoWeight: await bigOr0('taoWeight', netuid),
      validatorPermit: padded((await vec(p, 'validatorPermit')).map(bool), n, false),
      lastUpdate: padded((await vec(p, 'lastUpdate')).map(num), n, 0),
      blockAtRegistration,
      weights: await rows(p, 'weights'),
      bonds: await rows(p, 'bonds'),
      ownerUid: ownerUid < 0 ? null : ownerUid,
      lastMechanismStepBlock: await optNum(p, 'lastMechansimStepBlock', 0, netuid),
      childKeys,
      hyperparams: {
        tempo: num(await need(p, 'tempo')(netuid)),
        kappa: await optNum(p, 'kappa', 32767, netuid),
        rho: await optNum(p, 'rho', 10, netuid),
        bondsMovingAverage: await optNum(p, 'bondsMovingAverage', 900_000, netuid),
        activityCutoff: await optNum(p, 'activityCutoff', 5000, netuid),
        liquidAlpha: (await opt(p, 'liquidAlphaOn', netuid))?.toString() === 'true',
        alphaLow,
        alphaHigh,
        maxAllowedValidators: await optNum(p, 'maxAllowedValidators', 128, netuid),
        maxWeightsLimit: await optNum(p, 'maxWeightsLimit', 65535, netuid),
        commitReveal: (await opt(p, 'commitRevealWeightsEnabled', netuid))?.toString() === 'true',
      },
      coinbase: {
        totalIssuance: await bigOr0('totalIssuance'),
        subnets,
        subnetAlphaIn: await bigOr0('subnetAlphaIn', netuid),
        subnetAlphaOut: await bigOr0('subnetAlphaOut', netuid),
        pendingEmission: await bigOr0('pendingEmission', netuid),
        subnetOwnerCut: await optNum(p, 'subnetOwnerCut', 11796),
        ownerPaid: (await inStorage('subnetOwner', netuid)) && (await inStorage('subnetOwnerHotkey', netuid)),
      },
    }
    const u16s = async (name: string): Promise<number[]> => (await vec(s, name)).map(num)
    const stored: StoredEpoch = {
      incentive: await u16s('incentive'),
      dividends: await u16s('dividends'),
      consensus: await u16s('consensus'),
      trust: await u16s('trust'),
      rank: await u16s('rank'),
      validatorTrust: await u16s('validatorTrust'),
      emission: (await vec(s, 'emission')).map((c) => big(c).toString()),
      validatorPermit: (await vec(s, 'validatorPermit')).map(bool),
      active: (await vec(s, 'active')).map(bool),
      stakeWeight: await u16s('stakeWeight'),
      pruningScores: await u16s('pruningScores'),
      bonds: await rows(s, 'bonds'),
    }
    return { inputs, stored }
  }

  return {
    session: `${api.runtimeVersion.specName.toString()}/${api.runtimeVersion.specVersion.toString()}`,
    head,
    epochFunction,
    epochBlock,
    read,
    api,
    async close() {
      await api.disconnect().catch(() => {})
    },
  }
}

function padded<T>(v: T[], n: number, fill: T): T[] {
  const out = v.slice(0, n)
  while (out.length < n) out.push(fill)
  return out
}
