/**
 * A real subtensor runtime (subtensor's own raonet chain spec, spec 218) run in this process by
 * chopsticks, offline, on 127.0.0.1 with a block built per transaction; and the sudo steps a test
 * needs to fund accounts and make a fresh subnet on it.
 */
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { destroyWorker, setupWithServer } from '@acala-network/chopsticks'
import { ApiPromise, WsProvider } from '@polkadot/api'
import type { SubmittableExtrinsic } from '@polkadot/api/types'
import { hotkeyFromSecret, type Hotkey } from '../../src/identity/index.ts'
import { accountNonce, submitAndWait } from '../../src/chain/subtensor/submit.ts'
import type { SubtensorClient } from '../../src/chain/subtensor/types.ts'

/** The repo and `shared/` sit side by side, here and in CI; `RAONET_SPEC` names another place (a git worktree elsewhere). */
export const RAONET_SPEC = process.env.RAONET_SPEC ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/subtensor/raonet.json')

export const TAO = 1_000_000_000n

export interface SubnetConfig {
  tempo?: number
  weightsRateLimit?: number
  commitReveal?: boolean
  revealPeriodEpochs?: number
  maxAllowedUids?: number
  /** `TargetRegistrationsPerInterval`: the pool refuses burned_register past 3× this in an interval (custom error 5). */
  targetRegistrationsPerInterval?: number
  maxRegistrationsPerBlock?: number
}

export interface Chopsticks {
  /** ws://127.0.0.1:PORT */
  url: string
  api: ApiPromise
  sudo: Hotkey
  head(): Promise<number>
  /** Builds `count` blocks (dev_newBlock). */
  newBlocks(count?: number): Promise<number>
  /** Builds blocks until the head is `block`. */
  advanceTo(block: number): Promise<void>
  /** Sets free balances (rao) by dev_setStorage, raising TotalIssuance to match. */
  fund(addresses: string[], rao: bigint): Promise<void>
  /** Runs `call` under sudo; a refusal of the inner call rejects with its ChainError. */
  sudoCall(call: SubmittableExtrinsic<'promise'>, what: string): Promise<void>
  /** Registers a new subnet owned by `owner` (coldkey = hotkey) and configures it; returns its netuid. */
  createSubnet(owner: Hotkey, config?: SubnetConfig): Promise<number>
  configure(netuid: number, config: SubnetConfig): Promise<void>
  /** Signs and submits `tx` with `who` at the nonce stored on chain. */
  submit(tx: SubmittableExtrinsic<'promise'>, who: Hotkey, what: string): Promise<number>
  close(): Promise<void>
}

/** Whether the shared spec is there (tests skip with a reason when it is not). */
/**
 * Whether the shared raonet spec is next to the repo. Outside CI a checkout without it skips the
 * chain tests; in CI (`CI` set) a missing spec is an error, so a green CI always ran them.
 */
export function raonetAvailable(): boolean {
  if (existsSync(RAONET_SPEC)) return true
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') throw new Error(`CI: the chain tests need ${RAONET_SPEC} (../shared/fixtures/subtensor/raonet.json)`)
  return false
}

/**
 * Starts chopsticks on the raonet spec and connects to it; builds the first block at once (the
 * first one after start can fail, and transactions before it are refused). The genesis already
 * has subnets 0 (root) and 1; tests make a fresh one with `createSubnet` and leave those alone.
 */
export async function startChopsticks(): Promise<Chopsticks> {
  const server = await setupWithServer({ genesis: RAONET_SPEC, 'build-block-mode': 'Instant', port: 0, host: '127.0.0.1' } as unknown as Parameters<typeof setupWithServer>[0])
  const url = `ws://${server.addr}`
  const provider = new WsProvider(url)
  let timer: ReturnType<typeof setTimeout> | undefined
  const api = await Promise.race([
    ApiPromise.create({ provider, noInitWarn: true }),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`chopsticks at ${url} gave no metadata within 90 s`)), 90_000))),
  ]).catch(async (err: unknown) => {
    await provider.disconnect().catch(() => {})
    await server.close().catch(() => {})
    await destroyWorker()
    throw err
  }).finally(() => clearTimeout(timer))
  const sudo = await hotkeyFromSecret('//Alice')
  const send = (method: string, params: unknown[]): Promise<unknown> => provider.send(method, params)
  const head = async (): Promise<number> => (await api.rpc.chain.getHeader()).number.toNumber()
  const newBlocks = async (count = 1): Promise<number> => {
    await send('dev_newBlock', [{ count }])
    return head()
  }
  let issuance = 0n
  const fund = async (addresses: string[], rao: bigint): Promise<void> => {
    if (issuance === 0n) issuance = BigInt(((await api.query.balances.totalIssuance()) as unknown as { toString(): string }).toString())
    issuance += rao * BigInt(addresses.length)
    await send('dev_setStorage', [{
      System: { Account: addresses.map((a) => [[a], { providers: 1, data: { free: rao.toString() } }]) },
      Balances: { TotalIssuance: issuance.toString() },
    }])
  }
  const submit = async (tx: SubmittableExtrinsic<'promise'>, who: Hotkey, what: string): Promise<number> => {
    const at = await submitAndWait(api, tx, who, { nonce: await accountNonce(api, who.address), what })
    return at.blockNumber
  }
  const sudoCall = async (call: SubmittableExtrinsic<'promise'>, what: string): Promise<void> => {
    await submit(api.tx.sudo!.sudo!(call), sudo, `sudo ${what}`)
  }
  const admin = api.tx.adminUtils!
  const configure = async (netuid: number, c: SubnetConfig): Promise<void> => {
    if (c.tempo !== undefined) await sudoCall(admin.sudoSetTempo!(netuid, c.tempo), 'set tempo')
    if (c.weightsRateLimit !== undefined) await sudoCall(admin.sudoSetWeightsSetRateLimit!(netuid, c.weightsRateLimit), 'set weights rate limit')
    if (c.commitReveal !== undefined) await sudoCall(admin.sudoSetCommitRevealWeightsEnabled!(netuid, c.commitReveal), 'set commit-reveal')
    if (c.revealPeriodEpochs !== undefined) await sudoCall(admin.sudoSetCommitRevealWeightsInterval!(netuid, c.revealPeriodEpochs), 'set reveal period')
    if (c.targetRegistrationsPerInterval !== undefined) await sudoCall(admin.sudoSetTargetRegistrationsPerInterval!(netuid, c.targetRegistrationsPerInterval), 'set target registrations')
    if (c.maxRegistrationsPerBlock !== undefined) await sudoCall(admin.sudoSetMaxRegistrationsPerBlock!(netuid, c.maxRegistrationsPerBlock), 'set max registrations per block')
    if (c.maxAllowedUids !== undefined) await sudoCall(admin.sudoSetMaxAllowedUids!(netuid, c.maxAllowedUids), 'set max uids')
  }
  const createSubnet = async (owner: Hotkey, config: SubnetConfig = {}): Promise<number> => {
    const before = new Set(((await api.query.subtensorModule!.networksAdded!.entries()) as [{ args: { toString(): string }[] }, unknown][]).map(([k]) => k.args[0]!.toString()))
    await submit(api.tx.subtensorModule!.registerNetwork!(owner.address, 1), owner, 'register_network')
    const after = ((await api.query.subtensorModule!.networksAdded!.entries()) as [{ args: { toString(): string }[] }, unknown][]).map(([k]) => k.args[0]!.toString())
    const netuid = Number(after.find((n) => !before.has(n)))
    if (!Number.isInteger(netuid)) throw new Error('register_network added no subnet')
    // A new subnet's pool on this runtime starts with 1 rao and 1 alpha in reserve, so add_stake
    // would buy no alpha at all: give the pool 1000 TAO and 1000 alpha (a price of 1).
    const reserve = (1000n * TAO).toString()
    await send('dev_setStorage', [{ SubtensorModule: { SubnetAlphaIn: [[[netuid], reserve]], SubnetTAO: [[[netuid], reserve]] } }])
    await configure(netuid, config)
    return netuid
  }

  // The first block after start may fail; build one so the chain has a usable head.
  await newBlocks(1).catch(() => newBlocks(1))
  await send('dev_setStorage', [{ Sudo: { Key: sudo.address } }])
  await fund([sudo.address], 1_000_000n * TAO)
  // Any subnet may be registered at once, and weights need no minimum stake.
  await sudoCall(admin.sudoSetNetworkRateLimit!(0), 'set network rate limit')
  await sudoCall(admin.sudoSetWeightsMinStake!(0), 'set weights min stake')
  return {
    url,
    api,
    sudo,
    head,
    newBlocks,
    async advanceTo(block) {
      const h = await head()
      if (block > h) await newBlocks(block - h)
    },
    fund,
    sudoCall,
    createSubnet,
    configure,
    submit,
    async close() {
      await api.disconnect().catch(() => {})
      await server.close()
      // The runtime's wasm runs in a worker thread that would keep the process alive.
      await destroyWorker()
    },
  }
}

/** A fresh subnet with a staked validator holding a permit, and more hotkeys registered on it. */
export interface ChainSubnet {
  netuid: number
  tempo: number
  owner: Hotkey
  validator: Hotkey
  /** The validator's client (its hotkey signs), following the subnet. */
  client: SubtensorClient
  /** The hotkeys registered besides the validator (each its own coldkey), in order. */
  registered: Hotkey[]
}

/**
 * The setup chain tests share: funds `//{prefix}Owner`, `//{prefix}Validator` and each
 * `//{prefix}{name}` of `register`, makes a subnet (tempo 10, weights every 2 blocks, no
 * commit-reveal), registers the validator and those hotkeys by burned_register, stakes 1000 TAO
 * on the validator and builds blocks past an epoch, so that the runtime gives it its permit.
 */
export async function setupValidatorSubnet(chain: Chopsticks, prefix: string, register: string[] = [], tempo = 10): Promise<ChainSubnet> {
  const owner = await hotkeyFromSecret(`//${prefix}Owner`)
  const validator = await hotkeyFromSecret(`//${prefix}Validator`)
  const registered = await Promise.all(register.map((name) => hotkeyFromSecret(`//${prefix}${name}`)))
  await chain.fund([owner.address, validator.address, ...registered.map((h) => h.address)], 100_000n * TAO)
  const netuid = await chain.createSubnet(owner, { tempo, weightsRateLimit: 2, commitReveal: false, targetRegistrationsPerInterval: 100, maxRegistrationsPerBlock: 100 })
  const { connectSubtensor } = await import('../../src/chain/subtensor/index.ts')
  const client = await connectSubtensor({ url: chain.url, netuid, signer: validator, retries: 0 })
  await client.burnedRegister()
  for (const h of registered) await client.burnedRegister({ hotkey: h.address, coldkey: h })
  await client.addStake(1_000n * TAO)
  // Past an epoch: the runtime gives the staked validator its permit.
  await chain.newBlocks(tempo + 2)
  await client.refresh()
  return { netuid, tempo, owner, validator, client, registered }
}
