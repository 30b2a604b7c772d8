/**
 * Signing and submitting extrinsics to a subtensor node, waiting for the block that includes
 * them, and turning the runtime's refusals into typed errors. Loaded only with @polkadot/api.
 */
import type { ApiPromise } from '@polkadot/api'
import type { SubmittableExtrinsic } from '@polkadot/api/types'
import type { Signer as ApiSigner, SignerResult } from '@polkadot/api/types'
import type { DispatchError, EventRecord } from '@polkadot/types/interfaces'
import type { SignerPayloadJSON } from '@polkadot/types/types'
import { u8aConcat, u8aToHex } from '@polkadot/util'
import { blake2AsU8a } from '@polkadot/util-crypto'
import type { Signer } from '../../identity/identity.ts'
import { ChainError } from '../local-chain.ts'
import { SubtensorError } from './errors.ts'

/** Where an extrinsic landed. */
export interface Included {
  blockHash: string
  blockNumber: number
}

/** An @polkadot/api signer over webtensor's sr25519 `Signer` (a hotkey, or a page's key). */
export function apiSignerFor(api: ApiPromise, signer: Signer): ApiSigner {
  let id = 0
  return {
    signPayload: async (payload: SignerPayloadJSON): Promise<SignerResult> => {
      const raw = api.registry.createType('ExtrinsicPayload', payload, { version: payload.version })
      let data = raw.toU8a({ method: true })
      // Substrate signs the blake2-256 of payloads longer than 256 bytes.
      if (data.length > 256) data = blake2AsU8a(data, 256)
      // MultiSignature::Sr25519 is variant 1.
      return { id: ++id, signature: u8aToHex(u8aConcat(new Uint8Array([1]), signer.sign(data))) }
    },
  }
}

/** The runtime's name for a dispatch error (`SettingWeightsTooFast`, `BadOrigin`, …) and its docs. */
export function dispatchErrorName(api: ApiPromise, err: DispatchError): { name: string; section: string; docs: string } {
  if (err.isModule) {
    const meta = api.registry.findMetaError(err.asModule)
    return { name: meta.name, section: meta.section, docs: meta.docs.join(' ') }
  }
  if (err.isToken) return { name: err.asToken.type, section: 'token', docs: '' }
  if (err.isArithmetic) return { name: err.asArithmetic.type, section: 'arithmetic', docs: '' }
  return { name: err.type, section: 'system', docs: '' }
}

/** A ChainError whose code is the runtime's error name. */
export function chainErrorOf(api: ApiPromise, err: DispatchError, what: string): ChainError {
  const { name, section, docs } = dispatchErrorName(api, err)
  return new ChainError(`${what} refused by the chain: ${section}.${name}${docs === '' ? '' : ` (${docs})`}`, { code: name })
}

/**
 * Signs `tx` with `signer` at `nonce` (read it from `system.account`), submits it and resolves
 * once a block includes it. A dispatch error (also inside `sudo`) rejects with a `ChainError`
 * named as the runtime names it; a transaction the node refuses rejects with a `SubtensorError`
 * `tx_invalid`; an abort of `signal` rejects with its reason at once.
 */
export async function submitAndWait(api: ApiPromise, tx: SubmittableExtrinsic<'promise'>, signer: Signer, opts: { nonce: number; what: string; timeoutMs?: number; signal?: AbortSignal }): Promise<Included & { events: EventRecord[] }> {
  const { nonce, what, timeoutMs = 60_000 } = opts
  return new Promise((resolve, reject) => {
    let unsub: (() => void) | undefined
    let settled = false
    const done = (f: () => void): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      unsub?.()
      f()
    }
    const timer = setTimeout(() => done(() => reject(new SubtensorError(`${what}: not included in a block within ${timeoutMs} ms`, { code: 'tx_timeout' }))), timeoutMs)
    // The socket holds a process open while it waits, not this timer.
    timer.unref?.()
    // The caller gives up (the socket dropped, the client closed): reject with its reason, now.
    const onAbort = (): void => done(() => reject(opts.signal!.reason instanceof Error ? opts.signal!.reason : new SubtensorError(`${what}: aborted`, { code: 'closed' })))
    if (opts.signal?.aborted) {
      onAbort()
      return
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    tx.signAndSend(signer.address, { signer: apiSignerFor(api, signer), nonce, era: 0 }, (result) => {
      const { status, dispatchError, events } = result
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        done(() => reject(new SubtensorError(`${what}: the node dropped the transaction (${status.type})`, { code: 'tx_invalid' })))
        return
      }
      if (!status.isInBlock && !status.isFinalized) return
      const blockHash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex()
      if (dispatchError !== undefined) {
        done(() => reject(chainErrorOf(api, dispatchError, what)))
        return
      }
      // sudo dispatches its call and reports the call's own result in an event.
      for (const { event } of events) {
        if (event.section === 'sudo' && (event.method === 'Sudid' || event.method === 'SudoAsDone')) {
          const res = event.data[0] as unknown as { isErr: boolean; asErr: DispatchError }
          if (res.isErr) {
            done(() => reject(chainErrorOf(api, res.asErr, what)))
            return
          }
        }
      }
      void api.rpc.chain.getHeader(blockHash).then(
        (h) => done(() => resolve({ blockHash, blockNumber: h.number.toNumber(), events })),
        (err: unknown) => done(() => reject(new SubtensorError(`${what}: included, but its block header could not be read: ${String(err)}`, { code: 'unreachable', cause: err }))),
      )
    })
      .then((u) => {
        if (settled) u()
        else unsub = u
      })
      .catch((err: unknown) => done(() => reject(new SubtensorError(`${what}: the node refused the transaction: ${(err as Error).message ?? String(err)}`, { code: 'tx_invalid', cause: err }))))
  })
}

/** The account's next nonce as the chain stores it (`System.Account`), not the pool's guess. */
export async function accountNonce(api: ApiPromise, address: string): Promise<number> {
  const info = (await api.query.system.account(address)) as unknown as { nonce: { toNumber(): number } }
  return info.nonce.toNumber()
}
