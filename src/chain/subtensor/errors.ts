import { WebtensorError } from '../../errors.ts'

/**
 * Why talking to a subtensor node failed, before or around a chain call: `unreachable` (no node
 * at the URL after the retries), `wrong_netuid` (no such subnet), `missing_call` /
 * `missing_storage` (the runtime's metadata lacks what webtensor needs), `no_signer`,
 * `not_registered`, `tx_invalid` (the node refused the transaction before any block, e.g. a bad
 * nonce or a signed-extension check), `tx_timeout`, `closed`, `disconnected` (the socket dropped while the call was in flight or
 * before it started; the client reconnects by itself), `connection_lost` (the reconnect attempts
 * are spent: the client is dead), `no_epoch` (`verify --chain`: the subnet ran no epoch in the blocks asked). A call the runtime dispatched and
 * refused is a `ChainError` instead, with the runtime's error name as its code.
 */
export class SubtensorError extends WebtensorError {
  override name = 'SubtensorError'
}
