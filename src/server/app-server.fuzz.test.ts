import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAppServer } from './app-server.ts'
import { Rng } from '../../test/support/fuzz.ts'
import { httpRequest } from '../../test/support/http.ts'

const SEED = Number(process.env.WEBTENSOR_FUZZ_SEED ?? 20240615)
const CASES = 3000
const PARALLEL = 24

const BASE_PATHS = ['/', '/index.html', '/models/m/model.onnx', '/ort/ort-wasm-simd-threaded.wasm', '/api/ping', '/api/config', '/some/route']
const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'get', 'G ET', 'GETT', '', 'X'.repeat(40), 'M-SEARCH', 'PRI']
const PATH_BITS = ['%', '%2', '%zz', '%00', '\0', '..', '/../', '%2e%2e/', '..%2f', '%c0%af', '%ED%A0%80', '%F0%9F%98%80', '😀', 'é', '\\', '//', '?a=1', '#x', '%25', ' ', '\t', '\r', '\n', ';', '*', '%u002e']
const HEADER_NAMES = ['Range', 'If-None-Match', 'If-Range', 'Content-Length', 'Transfer-Encoding', 'Host', 'Connection', 'Upgrade', 'Expect', 'Origin', 'Accept-Encoding', 'X-Evil']
const HEADER_VALUES = ['bytes=0-1', 'bytes=-1', 'bytes=99999999999999999999-', 'bytes=5-1', 'bytes=0-1,2-3', '"x"', '*', '0', '-1', '5', 'abc', 'chunked', 'gzip, chunked', 'websocket', '100-continue', 'keep-alive', '\x7f', 'a\0b', 'é', '']

/** One hostile request, as bytes, and whether the client hangs up right after sending it. */
function hostileRequest(rand: () => number): { bytes: Buffer; hangUp: boolean; kind: string } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
  const mutatedPath = (): string => {
    let p = pick(BASE_PATHS)
    const edits = 1 + Math.floor(rand() * 4)
    for (let i = 0; i < edits; i++) {
      const at = Math.floor(rand() * (p.length + 1))
      p = p.slice(0, at) + pick(PATH_BITS) + p.slice(at)
    }
    if (rand() < 0.03) p += 'a'.repeat(3000 + Math.floor(rand() * 20_000))
    return p
  }
  const kind = pick(['path', 'path', 'path', 'method', 'headers', 'headers', 'bytes', 'half', 'pipeline'])
  const headerLines = (): string => {
    const n = Math.floor(rand() * 6)
    let h = ''
    for (let i = 0; i < n; i++) h += `${rand() < 0.1 ? 'Bad Name' : pick(HEADER_NAMES)}: ${rand() < 0.05 ? 'v'.repeat(20_000) : pick(HEADER_VALUES)}\r\n`
    return h
  }
  const request = (method: string, path: string, headers = ''): string => `${method} ${path} HTTP/1.1\r\nHost: fuzz\r\n${headers}Connection: close\r\n\r\n`
  switch (kind) {
    case 'path':
      return { kind, hangUp: false, bytes: Buffer.from(request(pick(['GET', 'GET', 'HEAD', 'OPTIONS']), mutatedPath())) }
    case 'method':
      return { kind, hangUp: false, bytes: Buffer.from(request(pick(METHODS), rand() < 0.5 ? pick(BASE_PATHS) : mutatedPath())) }
    case 'headers':
      return { kind, hangUp: false, bytes: Buffer.from(request('GET', pick(BASE_PATHS), headerLines())) }
    case 'bytes': {
      const n = 1 + Math.floor(rand() * 600)
      const raw = Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)))
      // Half of them start like a request, so the parser gets past the method.
      return { kind, hangUp: false, bytes: rand() < 0.5 ? Buffer.concat([Buffer.from('GET /'), raw, Buffer.from('\r\n\r\n')]) : raw }
    }
    case 'half': {
      const full = Buffer.from(request('GET', pick(BASE_PATHS), headerLines()))
      return { kind, hangUp: true, bytes: full.subarray(0, Math.floor(rand() * full.length)) }
    }
    default: {
      // Two requests in one write, the first keep-alive.
      const first = `GET ${pick(BASE_PATHS)} HTTP/1.1\r\nHost: fuzz\r\n${headerLines()}\r\n`
      return { kind, hangUp: false, bytes: Buffer.from(first + request('GET', mutatedPath())) }
    }
  }
}

type Outcome = 'answered' | 'closed' | 'hung' | 'client hung up'

/** Sends `bytes` on a fresh connection; reports the first status line, or how it ended without one. */
function send(port: number, bytes: Buffer, hangUp: boolean): Promise<{ outcome: Outcome; status: number | null }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    let text = ''
    let settled = false
    const finish = (outcome: Outcome): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      const m = /^HTTP\/1\.[01] (\d{3}) /.exec(text)
      resolve({ outcome: m === null ? outcome : 'answered', status: m === null ? null : Number(m[1]) })
    }
    // The server's header timeout is 1 s here: 8 s without an answer or a close is a hang.
    const timer = setTimeout(() => finish('hung'), 8000)
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')))
    socket.on('close', () => finish('closed'))
    socket.on('error', () => {})
    socket.on('connect', () => {
      socket.write(bytes)
      if (hangUp) {
        socket.end()
        setTimeout(() => finish('client hung up'), 50)
      }
    })
  })
}

test('HTTP fuzz: thousands of hostile requests, no crash, each answered or closed, then normal service', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-fuzz-'))
  mkdirSync(join(dir, 'app'))
  mkdirSync(join(dir, 'ort'))
  mkdirSync(join(dir, 'models', 'm'), { recursive: true })
  writeFileSync(join(dir, 'app', 'index.html'), '<p>hi</p>')
  writeFileSync(join(dir, 'ort', 'ort-wasm-simd-threaded.wasm'), 'wasm')
  writeFileSync(join(dir, 'models', 'm', 'model.onnx'), Buffer.alloc(100_000, 7))
  const server = createAppServer({
    host: '127.0.0.1',
    port: 0,
    mounts: [
      { prefix: '/', dir: join(dir, 'app'), spa: true },
      { prefix: '/ort/', dir: join(dir, 'ort'), allow: /ort-wasm[^/]*\.(wasm|mjs)$/ },
      { prefix: '/models/', dir: join(dir, 'models') },
    ],
    api: { '/api/ping': () => ({ ok: true }), '/api/config': { get: () => ({ netuid: 1 }), version: () => 1 } },
    crossOrigin: ['/models/', '/ort/', '/api/config'],
    limits: { headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 500 },
  })
  const crashes: unknown[] = []
  const onCrash = (err: unknown): void => void crashes.push(err)
  process.on('uncaughtException', onCrash)
  await server.start()
  const port = Number(new URL(server.url).port)
  const rng = new Rng(SEED) // mulberry32: a failing case replays from its seed
  const rand = () => rng.next()
  const cases = Array.from({ length: CASES }, () => hostileRequest(rand))
  const byStatus: Record<string, number> = {}
  const byOutcome: Record<Outcome, number> = { answered: 0, closed: 0, hung: 0, 'client hung up': 0 }
  const hungKinds: string[] = []
  const started = Date.now()
  try {
    let next = 0
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < cases.length) {
          const c = cases[next++]!
          const { outcome, status } = await send(port, c.bytes, c.hangUp)
          byOutcome[outcome]++
          if (status !== null) byStatus[`${String(status)[0]}xx`] = (byStatus[`${String(status)[0]}xx`] ?? 0) + 1
          if (status !== null) byStatus[status] = (byStatus[status] ?? 0) + 1
          if (outcome === 'hung') hungKinds.push(`${c.kind}: ${JSON.stringify(c.bytes.subarray(0, 120).toString('latin1'))}`)
        }
      }),
    )
    const seconds = (Date.now() - started) / 1000
    console.log(`http fuzz (seed ${SEED}): ${CASES} requests in ${seconds.toFixed(1)} s; outcomes ${JSON.stringify(byOutcome)}; statuses ${JSON.stringify(byStatus)}`)
    assert.deepEqual(crashes, [], 'no uncaught exception')
    assert.equal(byOutcome.hung, 0, `requests neither answered nor closed:\n${hungKinds.slice(0, 10).join('\n')}`)
    assert.equal(byStatus['5xx'] ?? 0, 0, 'no 5xx: every hostile input is the client’s error')
    assert.ok(byOutcome.answered > CASES / 2, 'most requests got a status')
    // And the server still serves normal requests.
    const page = await httpRequest(server.url, '/')
    assert.equal(page.status, 200)
    assert.equal(page.body.toString(), '<p>hi</p>')
    const part = await httpRequest(server.url, '/models/m/model.onnx', { headers: { Range: 'bytes=10-19' } })
    assert.equal(part.status, 206)
    assert.equal(part.body.length, 10)
  } finally {
    process.off('uncaughtException', onCrash)
    await server.stop()
  }
})
