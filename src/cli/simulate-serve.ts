/**
 * The join endpoint of an exact simulation spread over processes or machines: the small
 * authenticated HTTP endpoint where workers (`--join`) report their peers and pick up the
 * coordinator's commands, and what both sides must agree on (the scenario's fingerprint, the report
 * interval). The coordinator itself is `runExact` (simulate-exact.ts), which starts this endpoint
 * with `--serve` or a shard count above 1.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Scenario } from '../simulate/scenario.ts'
import { MAX_REPORT_BYTES, ShardError, scenarioCanonical, type CoordinatorReply } from '../simulate/shard.ts'

/** How often a worker reports (ms). */
export const REPORT_INTERVAL_MS = 500

/** A worker silent this long during the run fails it. */
export const WORKER_SILENCE_MS = 30_000

/** The scenario's fingerprint (hex sha256 of its canonical JSON): coordinator and workers must agree on it. */
export const scenarioFingerprint = (scenario: Scenario): string => createHash('sha256').update(scenarioCanonical(scenario)).digest('hex')

/**
 * The join endpoint: `POST /simulate/report` with `Authorization: Bearer TOKEN` and a JSON worker
 * report of at most MAX_REPORT_BYTES. Anything else gets a 4xx; the token is compared in constant
 * time; the report is checked by `accept` (which throws `ShardError` for a bad one: 400).
 */
export function createJoinServer(token: string, accept: (json: unknown) => CoordinatorReply): Server {
  const want = createHash('sha256').update(token).digest()
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' })
    res.end(text)
  }
  const server = createServer({ maxHeaderSize: 8192, requestTimeout: 10_000, headersTimeout: 5_000 }, (req: IncomingMessage, res: ServerResponse) => {
    const refuse = (status: number, error: string): void => {
      send(res, status, { error })
      req.resume()
    }
    if (req.url !== '/simulate/report') return refuse(404, 'not found')
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST')
      return refuse(405, 'method not allowed')
    }
    const auth = req.headers.authorization ?? ''
    const given = createHash('sha256').update(auth.startsWith('Bearer ') ? auth.slice(7) : '').digest()
    if (!timingSafeEqual(given, want)) return refuse(401, 'bad or missing join token')
    const length = Number(req.headers['content-length'])
    if (req.headers['transfer-encoding'] !== undefined || !Number.isSafeInteger(length)) return refuse(411, 'a Content-Length is required')
    if (length > MAX_REPORT_BYTES) {
      send(res, 413, { error: `a report is at most ${MAX_REPORT_BYTES} bytes` })
      req.destroy()
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > length) req.destroy()
      else chunks.push(c)
    })
    req.on('end', () => {
      let json: unknown
      try {
        json = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        return send(res, 400, { error: 'not JSON' })
      }
      try {
        send(res, 200, accept(json))
      } catch (err) {
        if (err instanceof ShardError) return send(res, 400, { error: err.message })
        send(res, 500, { error: 'internal error' })
      }
    })
    req.on('error', () => {})
  })
  return server
}
