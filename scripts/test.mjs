#!/usr/bin/env node
// Runs every test with node's test runner (through tsx):
//   *.test.ts          unit and integration tests, in this process's network
//   *.browser.test.ts  tests that drive Debian Chromium; they run inside a private network
//                      namespace made here (loopback + a veth pair), because WebRTC gathers no ICE
//                      candidates on a loopback-only host, and nothing outside must be contacted.
//   *.heavy.test.ts    opt-in (WEBTENSOR_HEAVY=1): slow suites.
// Usage: node scripts/test.mjs [unit|browser|all] [filter-substring]
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const which = process.argv[2] ?? 'all'
const filter = process.argv[3] ?? ''
const heavy = process.env.WEBTENSOR_HEAVY === '1'

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p, out)
    else if (name.endsWith('.test.ts')) out.push(relative(root, p))
  }
  return out
}

const all = [...walk(join(root, 'src')), ...walk(join(root, 'test'))].filter((f) => f.includes(filter)).sort()
const isHeavy = (f) => f.endsWith('.heavy.test.ts')
const isBrowser = (f) => f.includes('.browser.')
const unit = all.filter((f) => !isBrowser(f) && (heavy || !isHeavy(f)))
const browser = all.filter((f) => isBrowser(f) && (heavy || !isHeavy(f)))

// chopsticks logs every block it builds at info; in a test run that buries the failures' own output.
process.env.LOG_LEVEL ??= 'warn'

const nodeTest = (files) => ['node', '--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files]
let failed = false

if ((which === 'all' || which === 'unit') && unit.length > 0) {
  const [cmd, ...args] = nodeTest(unit)
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root })
  failed ||= r.status !== 0
}

if ((which === 'all' || which === 'browser') && browser.length > 0) {
  // A private network: lo up, and a veth pair with two addresses (10.77.0.1, 10.77.0.2) that exist
  // only inside this namespace. The tests bind their servers to 10.77.0.1.
  const setup = [
    'ip link set lo up',
    'ip link add wt0 type veth peer name wt1',
    'ip addr add 10.77.0.1/24 dev wt0',
    'ip addr add 10.77.0.2/24 dev wt1',
    'ip link set wt0 up',
    'ip link set wt1 up',
    'ip route add default via 10.77.0.2 dev wt0 || true',
  ].join(' && ')
  const inner = `${setup} && exec ${nodeTest(browser).map((a) => `'${a}'`).join(' ')}`
  const r = spawnSync('unshare', ['--net', '--', 'sh', '-c', inner], {
    stdio: 'inherit',
    cwd: root,
    env: { ...process.env, WEBTENSOR_TEST_HOST: '10.77.0.1', WEBTENSOR_NETNS: '1' },
  })
  if (r.error || r.status === null) {
    console.error('browser tests need `unshare --net` (run as root, with iproute2):', r.error ?? r.signal)
  }
  failed ||= r.status !== 0
}

process.exitCode = failed ? 1 : 0
