// npm run bench:p2p -- --tabs N            (browser tabs, inside a private network namespace)
// npm run bench:p2p -- --node-peers M      (Node peers over 2 processes, on loopback)
// Options: --messages 200 --rate 20|5 --size 1024 --target 8 --warmup 200 (tabs: a first round of messages that warms the pages up, reported apart)
// Prints figures; the last line is one JSON object.
import { arg } from './stats.ts'
import { ensureNetns } from './netns.ts'

const tabs = arg('tabs')
const nodePeers = arg('node-peers')
const messages = Number(arg('messages') ?? 200)
const size = Number(arg('size') ?? 1024)
const target = arg('target') === undefined ? undefined : Number(arg('target'))

if (tabs !== undefined) {
  ensureNetns()
  const { benchTabs } = await import('./tabs.ts')
  const result = await benchTabs(Number(tabs), { messages, rate: Number(arg('rate') ?? 20), size, target, warmup: Number(arg('warmup') ?? 200) })
  console.log(JSON.stringify(result))
} else if (nodePeers !== undefined) {
  const { benchNodes } = await import('./nodes.ts')
  const result = await benchNodes(Number(nodePeers), { messages, rate: Number(arg('rate') ?? 5), size, host: '127.0.0.1', target, processes: Number(arg('processes') ?? 2) })
  console.log(JSON.stringify(result))
} else {
  console.error('usage: npm run bench:p2p -- --tabs N | --node-peers M [--messages 200] [--rate R] [--size 1024] [--target 8]')
  process.exitCode = 2
}
process.exit()
