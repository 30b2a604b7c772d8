import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/webtensor.js', import.meta.url))

export interface RunningCli {
  child: ChildProcess
  /** Everything it printed so far (stdout and stderr). */
  output(): string
  /** Resolves with the first match of `pattern` in the output. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  stop(): Promise<number | null>
}

/**
 * Starts the real `webtensor` CLI as a child process, as a user would (`env`: its environment,
 * default this one's; `bin`: another copy of the CLI, e.g. an installed package's).
 */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; bin?: string } = {}): RunningCli {
  const child = spawn(process.execPath, [options.bin ?? BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env })
  let out = ''
  const waiters = new Set<() => void>()
  const onData = (d: Buffer): void => {
    out += d.toString()
    for (const w of waiters) w()
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  return {
    child,
    output: () => out,
    waitFor(pattern, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = out.match(pattern)
          if (m !== null) {
            done()
            resolve(m)
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done()
            reject(new Error(`webtensor exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${out}`))
          }
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}`))
        }, timeoutMs)
        const done = (): void => {
          clearTimeout(timer)
          waiters.delete(check)
          child.off('exit', check)
        }
        waiters.add(check)
        child.on('exit', check)
        check()
      })
    },
    async stop() {
      // Already gone (an exit code, or killed by a signal): its 'exit' event will not come again.
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}

/** Runs the real `webtensor` CLI to its end, as a user would: its exit code, and stdout and stderr apart. */
export function runCliToEnd(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => void (stdout += d.toString()))
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`webtensor ${args.join(' ')} did not end within ${options.timeoutMs ?? 120_000} ms:\n${stdout}\n${stderr}`))
    }, options.timeoutMs ?? 120_000)
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    // 'close': the process has exited and its output is all read.
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
