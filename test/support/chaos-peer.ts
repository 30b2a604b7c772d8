// A peer of the chaos test that runs in its own process, so the test can SIGKILL it the way a
// crash or a closed laptop ends a peer: no goodbyes, sockets just die.
//   relay  PORT KEYFILE               → prints {"multiaddrs":[...]} once listening
//   miners RELAY_ADDR SECRET [SECRET…] → prints {"ready":N} once every miner's mesh started
import { createGossipChainClient } from '../../src/chain/gossip-client.ts'
import { hotkeyFromSecret } from '../../src/identity/identity.ts'
import { createMinerNode } from '../../src/node/miner.ts'
import { createMesh, createRelay } from '../../src/p2p/index.ts'
import { DEFAULT_MANIFEST, DEFAULT_MODELS_DIR } from '../../src/cli/paths.ts'
import { loadNodeRunner, readManifest } from '../../src/cli/stack.ts'

const [mode, ...args] = process.argv.slice(2)
if (mode === 'relay') {
  const relay = await createRelay({ host: '127.0.0.1', port: Number(args[0]), keyFile: args[1]! })
  await relay.start()
  console.log(JSON.stringify({ multiaddrs: relay.multiaddrs }))
} else if (mode === 'miners') {
  const [bootstrap, ...secrets] = args
  const manifest = readManifest(DEFAULT_MANIFEST)
  const runner = await loadNodeRunner(manifest, DEFAULT_MODELS_DIR, () => {})
  for (const secret of secrets) {
    const hotkey = await hotkeyFromSecret(secret)
    const mesh = await createMesh({ netuid: manifest.netuid, signer: hotkey, bootstrap: [bootstrap!], listen: ['/ip4/127.0.0.1/tcp/0/ws'], allowPrivateAddresses: true })
    await mesh.start()
    const chain = createGossipChainClient({ mesh, netuid: manifest.netuid, ownerHotkey: manifest.owner.hotkey })
    await createMinerNode({ manifest, mesh, chain, runner, signer: hotkey, agent: 'chaos-child' }).start()
  }
  console.log(JSON.stringify({ ready: secrets.length }))
} else {
  console.error(`usage: chaos-peer relay PORT KEYFILE | miners RELAY SECRET…`)
  process.exit(2)
}
