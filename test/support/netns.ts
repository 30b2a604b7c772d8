// Separate client networks for browser tests, made inside the private test namespace
// (scripts/test.mjs): each client is a network namespace held open by a `sleep` process, joined to
// this namespace (the "server" network) by its own veth link. Nothing routes between clients:
// IP forwarding is off here. No named namespaces (`ip netns add` would mount into the host's /run).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CHROMIUM_PATH } from './browser.ts'

export interface ClientNetwork {
  /** The client's address on its link, e.g. 10.78.1.2. */
  addr: string
  /** This (server) namespace's address on that link. */
  gateway: string
  /** `/proc/<pid>/ns/net` of the client namespace. */
  nsPath: string
  /** Runs a command inside the client namespace and returns its stdout. */
  exec(cmd: string, args: string[], timeoutMs?: number): string
  /** An executable that runs Debian Chromium inside the client namespace (for Playwright's executablePath). */
  chromium: string
  close(): void
}

/** Throws unless we run inside scripts/test.mjs's throwaway namespace: we add links and change sysctls here. */
export function assertPrivateNamespace(): void {
  if (process.env.WEBTENSOR_NETNS !== '1') throw new Error('this test changes the network: run it through `node scripts/test.mjs browser`, which gives it a private namespace')
}

const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'pipe' })

/** Turns IP forwarding off in this namespace, so client networks reach only this one, never each other. */
export function disableForwarding(): void {
  writeFileSync('/proc/sys/net/ipv4/ip_forward', '0')
  if (readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() !== '0') throw new Error('could not turn IP forwarding off')
}

/**
 * Creates client network `index` (1..250): namespace, link `10.78.<index>.0/24` (client .2, this
 * side .1), a default route to this side, and a Chromium wrapper in `tmpDir`.
 */
export async function createClientNetwork(index: number, tmpDir: string): Promise<ClientNetwork> {
  const holder: ChildProcess = spawn('unshare', ['--net', 'sleep', '100000'], { stdio: 'ignore' })
  const pid = holder.pid
  if (pid === undefined) throw new Error('unshare --net failed to start')
  const nsPath = `/proc/${pid}/ns/net`
  const own = readlinkSync('/proc/self/ns/net')
  // unshare has switched namespaces once its net namespace differs from ours.
  for (let i = 0; readlinkSync(nsPath) === own; i++) {
    if (i > 200 || holder.exitCode !== null) throw new Error('client namespace did not come up')
    await new Promise((r) => setTimeout(r, 10))
  }
  const here = `wtc${index}s`
  const there = `wtc${index}c`
  const gateway = `10.78.${index}.1`
  const addr = `10.78.${index}.2`
  const exec = (cmd: string, args: string[], timeoutMs = 10_000): string =>
    execFileSync('nsenter', [`--net=${nsPath}`, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs }).toString()
  ip('link', 'add', here, 'type', 'veth', 'peer', 'name', there)
  ip('link', 'set', there, 'netns', String(pid))
  ip('addr', 'add', `${gateway}/24`, 'dev', here)
  ip('link', 'set', here, 'up')
  exec('ip', ['link', 'set', 'lo', 'up'])
  exec('ip', ['addr', 'add', `${addr}/24`, 'dev', there])
  exec('ip', ['link', 'set', there, 'up'])
  exec('ip', ['route', 'add', 'default', 'via', gateway])
  const chromium = join(tmpDir, `chromium-net${index}.sh`)
  writeFileSync(chromium, `#!/bin/sh\nexec nsenter --net=${nsPath} ${CHROMIUM_PATH} "$@"\n`)
  chmodSync(chromium, 0o755)
  return {
    addr,
    gateway,
    nsPath,
    exec,
    chromium,
    close() {
      holder.kill('SIGKILL')
      try {
        ip('link', 'del', here) // removes both ends (gone already if the namespace went first)
      } catch {}
    },
  }
}

/**
 * Whether a TCP connection from `net` to `host:port` gets any answer (accepted or refused) within
 * `timeoutMs`: reachability, independent of whether something listens there.
 */
export function tcpReaches(net: ClientNetwork, host: string, port: number, timeoutMs = 1500): boolean {
  const script = `const s=require('net').connect(${port},'${host}');s.setTimeout(${timeoutMs});` +
    `s.on('connect',()=>process.exit(0));s.on('error',e=>process.exit(e.code==='ECONNREFUSED'?0:3));s.on('timeout',()=>process.exit(3))`
  try {
    net.exec(process.execPath, ['-e', script], timeoutMs + 5000)
    return true
  } catch {
    return false
  }
}
