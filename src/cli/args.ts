import { parseArgs, type ParseArgsConfig } from 'node:util'

/** Where a command writes (the CLI passes process streams; tests pass buffers). */
export interface CommandIo {
  stdout: { write(s: string): unknown }
  stderr: { write(s: string): unknown }
}

type OptionSpecs = NonNullable<ParseArgsConfig['options']>
type Parsed<O extends OptionSpecs> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>

/** A command's parsed flags, or the exit code it ends with (help shown: 0; bad flags: 2). */
export type CommandArgs<O extends OptionSpecs> = { values: Parsed<O>['values']; positionals: string[]; exit?: undefined } | { exit: number }

/**
 * Parses a sub-command's flags strictly; `-h/--help` prints the usage (exit 0), an unknown or
 * malformed flag prints the reason and the usage (exit 2). Every command shares these rules.
 * @example const args = parseCommandArgs('verify', USAGE, argv, { json: { type: 'boolean' } }, io); if (args.exit !== undefined) return args.exit
 */
export function parseCommandArgs<O extends OptionSpecs>(command: string, usage: string, argv: string[], options: O, io: CommandIo): CommandArgs<O> {
  const end = argv.indexOf('--') // after `--` everything is a positional, even "-h"
  const flags = end === -1 ? argv : argv.slice(0, end)
  if (flags.includes('--help') || flags.includes('-h')) {
    io.stdout.write(usage)
    return { exit: 0 }
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
    return { values: values as Parsed<O>['values'], positionals }
  } catch (err) {
    return { exit: usageError(command, usage, (err as Error).message, io) }
  }
}

/** Prints `webtensor COMMAND: why` and the usage to stderr; resolves to exit code 2 (bad usage). */
export function usageError(command: string, usage: string, why: string, io: CommandIo): number {
  io.stderr.write(`webtensor ${command}: ${why}\n\n${usage}`)
  return 2
}
