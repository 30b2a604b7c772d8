import { fromHex, toHex, type ChainClient } from '../chain/index.ts'
import { registerByPow, type RegisterByPowOptions } from '../chain/pow-register.ts'
import type { Mesh } from '../p2p/index.ts'

/**
 * Registers a hotkey on a local-chain subnet by proof of work over the mesh: solves on the head the
 * chain client follows and gossips the seal as a `register` call, until the chain gives the hotkey
 * a uid (re-solving stale or refused work). The miner role and simulated Sybils both use it.
 * @example await registerOverMesh({ chain, mesh, hotkey: signer.address, hotkeyPublicKey: signer.publicKey, solve })
 */
export function registerOverMesh(opts: { chain: ChainClient; mesh: Pick<Mesh, 'publish'>; hotkey: string } & Omit<RegisterByPowOptions, 'latest' | 'submit' | 'isRegistered'>): Promise<void> {
  const { chain, mesh, hotkey, ...pow } = opts
  return registerByPow({
    ...pow,
    latest: () => {
      const info = chain.chainInfo()
      const block = chain.metagraph()?.block
      return info === null || block === undefined ? null : { block, blockHash: fromHex(info.blockHash), difficulty: info.difficulty }
    },
    submit: async (work) => {
      await mesh.publish('register', { block: work.block, nonce: work.nonce.toString(), seal: toHex(work.seal) })
    },
    isRegistered: () => chain.uidOf(hotkey) !== undefined,
  })
}
