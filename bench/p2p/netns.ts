// Re-runs the current script inside a private network namespace with a veth pair, the way
// scripts/test.mjs runs browser tests: WebRTC gathers no ICE candidates on a loopback-only host,
// and nothing outside the namespace is contacted.
import { spawnSync } from 'node:child_process'

export const NETNS_HOST = '10.77.0.1'

/** Returns when already inside the namespace; otherwise runs this script there and exits with its status. */
export function ensureNetns(): void {
  if (process.env.WEBTENSOR_NETNS === '1') return
  const setup = [
    'ip link set lo up',
    'ip link add wt0 type veth peer name wt1',
    `ip addr add ${NETNS_HOST}/24 dev wt0`,
    'ip addr add 10.77.0.2/24 dev wt1',
    'ip link set wt0 up',
    'ip link set wt1 up',
    'ip route add default via 10.77.0.2 dev wt0 || true',
  ].join(' && ')
  const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const r = spawnSync('unshare', ['--net', '--', 'sh', '-c', `${setup} && exec ${argv}`], {
    stdio: 'inherit',
    env: { ...process.env, WEBTENSOR_TEST_HOST: NETNS_HOST, WEBTENSOR_NETNS: '1' },
  })
  if (r.error) console.error('needs `unshare --net` (root) and iproute2:', r.error)
  process.exit(r.status ?? 1)
}
