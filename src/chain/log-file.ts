/**
 * The owner's log on disk: `log.jsonl` (one entry per line, appended and flushed to disk before
 * the entry counts) and `block` (the last block the owner reached, so a restart resumes there).
 * Node only.
 */
import { closeSync, existsSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { logLine, parseLogLines, type LogEntry } from './log.ts'
import type { LogStore } from './owner-node.ts'

export const LOG_FILE = 'log.jsonl'

/**
 * A log store in `dir`. A torn last line (the process died mid-write) is cut off at load: that
 * entry was never acknowledged.
 * @example const store = fileLogStore(join(stateDir, 'chain'))
 */
export function fileLogStore(dir: string): LogStore & { readonly path: string } {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, LOG_FILE)
  const blockPath = join(dir, 'block')
  let fd: number | undefined
  return {
    path,
    load() {
      const text = existsSync(path) ? readFileSync(path, 'utf8') : ''
      const entries = parseLogLines(text)
      const whole = Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1))
      fd = openSync(path, 'a+')
      if (whole !== Buffer.byteLength(text)) {
        ftruncateSync(fd, whole)
        fdatasyncSync(fd)
      }
      const saved = existsSync(blockPath) ? Number(readFileSync(blockPath, 'utf8')) : 0
      return { entries, block: Number.isSafeInteger(saved) && saved >= 0 ? saved : 0 }
    },
    append(entry) {
      if (fd === undefined) fd = openSync(path, 'a+')
      writeSync(fd, logLine(entry))
      fdatasyncSync(fd)
    },
    saveBlock(block) {
      // Atomic: a crash leaves the old or the new number, never half of one.
      writeFileSync(`${blockPath}.tmp`, String(block))
      renameSync(`${blockPath}.tmp`, blockPath)
    },
    close() {
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    },
  }
}
