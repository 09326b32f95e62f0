import { Command, CommanderError } from 'commander'
import { describeError, isImgpipeError } from '../core/errors.js'
import { compactHelp, registerSettingsCommand } from './compact-help.js'
import { VERSION } from './package-info.js'
import { addSettingOptions, COMMAND_SETTINGS } from './setting-options.js'
import { commandPath, usageErrorLine } from './usage-error-line.js'

export { VERSION }

type Register = (program: Command) => void

/**
 * The command modules in the order `--help` lists their commands, each with the top-level names it registers.
 * They are imported only when needed: the web command alone brings Fastify and sharp, and all of them
 * together took a second of every call's start-up, `imgpipe --version` included.
 */
const COMMAND_MODULES: readonly { names: readonly string[]; load: () => Promise<Register[]> }[] = [
  {
    names: ['run', 'receive', 'analyze', 'alert'],
    load: async () => [(await import('./commands/pipeline-commands.js')).registerPipelineCommands],
  },
  { names: ['ingest'], load: async () => [(await import('./commands/ingest-command.js')).registerIngestCommand] },
  { names: ['reanalyze'], load: async () => [(await import('./commands/reanalyze-command.js')).registerReanalyzeCommand] },
  { names: ['sky'], load: async () => [(await import('./commands/sky-command.js')).registerSkyCommand] },
  { names: ['view'], load: async () => [(await import('./commands/view-command.js')).registerViewCommand] },
  { names: ['web'], load: async () => [(await import('./commands/web-command.js')).registerWebCommand] },
  { names: ['db'], load: async () => [(await import('./commands/db-command.js')).registerDbCommand] },
  { names: ['store'], load: async () => [(await import('./commands/store-command.js')).registerStoreCommand] },
  { names: ['status'], load: async () => [(await import('./commands/status-command.js')).registerStatusCommand] },
  {
    names: ['subscriber', 'subscription'],
    load: async () => {
      const module = await import('./commands/subscription-command.js')
      return [module.registerSubscriberCommand, module.registerSubscriptionCommand]
    },
  },
  {
    names: ['deliveries', 'replay', 'deliver'],
    load: async () => [(await import('./commands/deliveries-command.js')).registerDeliveriesCommand],
  },
  { names: ['watchlist'], load: async () => [(await import('./commands/watchlist-command.js')).registerWatchlistCommand] },
  { names: ['reference'], load: async () => [(await import('./commands/reference-command.js')).registerReferenceCommand] },
  { names: ['report'], load: async () => [(await import('./commands/report-command.js')).registerReportCommand] },
  { names: ['alerts'], load: async () => [(await import('./commands/alerts-command.js')).registerAlertsCommand] },
  { names: ['settings'], load: () => Promise.resolve([registerSettingsCommand]) },
]

/**
 * The command `argv` runs (`node imgpipe <command> …`): its first argument that is not an option (only the
 * commands take setting flags). Undefined when there is none, e.g. `imgpipe --help`.
 */
export function commandName(argv: readonly string[]): string | undefined {
  for (const arg of argv.slice(2)) {
    if (arg === '--') return undefined
    if (!arg.startsWith('-')) return arg
  }
  return undefined
}

/**
 * The program with the commands `argv` needs: only its command's module when it names a known command, none
 * for a bare `--version`, every one otherwise (the command list of `--help`, commander's suggestions for a
 * mistyped name). Without `argv`, every command.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('imgpipe')
    .description(
      'A telescope-style image-event pipeline: receive → analyze → alert.\n' +
        'Runs on SQLite, a local directory and an in-process bus by default; on Kafka, MySQL/PostgreSQL and S3 when configured.',
    )
    .version(VERSION)
    // Before the subcommands are added, which copy both: runCli turns usage errors into exit code 2.
    .configureHelp(compactHelp)
    .exitOverride()
  const name = argv === undefined ? undefined : commandName(argv)
  const named = COMMAND_MODULES.filter((module) => name !== undefined && module.names.includes(name))
  const versionOnly = argv !== undefined && name === undefined && argv.slice(2).some((arg) => arg === '--version' || arg === '-V')
  const modules = named.length > 0 ? named : versionOnly ? [] : COMMAND_MODULES
  for (const registers of await Promise.all(modules.map((module) => module.load()))) {
    for (const register of registers) register(program)
  }
  for (const command of [program, ...descendants(program)]) {
    // Commander's own errors (unknown option, missing argument) as one line with a code, like ours.
    command.configureOutput({ outputError: (message, write) => write(usageErrorLine(message, command)) })
    addSettingOptions(command, COMMAND_SETTINGS[commandPath(command).replace(/^imgpipe ?/, '')] ?? [])
  }
  return program
}

function descendants(command: Command): Command[] {
  return command.commands.flatMap((sub) => [sub, ...descendants(sub)])
}

/**
 * Runs the CLI and returns the exit code: 0 ok, 1 failure, 2 usage or configuration error,
 * 3 partial failure (some ingested files were bad). Failures print one line: the reason and its code.
 */
export async function runCli(argv: readonly string[], built?: Command): Promise<number> {
  const program = built ?? (await buildProgram(argv))
  try {
    await program.parseAsync([...argv])
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (error) {
    // Commander has already printed the help text or the usage error (one line: usageErrorLine).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
    const code = isImgpipeError(error) ? error.code : 'IMGPIPE_INTERNAL'
    process.stderr.write(`imgpipe: ${describeError(error)} [${code}]\n`)
    return code === 'IMGPIPE_CONFIG_INVALID' || code === 'IMGPIPE_USAGE' ? 2 : 1
  }
}
