import { Command, CommanderError } from 'commander'
import { describeError, isImgpipeError } from '../core/errors.js'
import { addGlobalOptions } from './cli-context.js'
import { VERSION } from './package-info.js'
import { settingOptions } from './setting-options.js'

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
  { names: ['alerts'], load: async () => [(await import('./commands/alerts-command.js')).registerAlertsCommand] },
]

/**
 * The command `argv` runs (`node imgpipe [global options] <command> …`): the first argument that is neither an
 * option nor a global option's value. Undefined when there is none, e.g. `imgpipe --help`.
 */
export function commandName(argv: readonly string[]): string | undefined {
  const takesValue = new Set(settingOptions().flatMap((option) => (option.required || option.optional ? [option.long] : [])))
  const args = argv.slice(2)
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? ''
    if (arg === '--') return undefined
    if (!arg.startsWith('-')) return arg
    if (takesValue.has(arg)) index++
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
    .showHelpAfterError('(run with --help for usage)')
    // Every command's --help lists the setting flags, which each command takes.
    .configureHelp({ showGlobalOptions: true })
    // Before the subcommands are added: they copy it, and runCli turns usage errors into exit code 2.
    .exitOverride()
  addGlobalOptions(program)
  const name = argv === undefined ? undefined : commandName(argv)
  const named = COMMAND_MODULES.filter((module) => name !== undefined && module.names.includes(name))
  const versionOnly = argv !== undefined && name === undefined && argv.slice(2).some((arg) => arg === '--version' || arg === '-V')
  const modules = named.length > 0 ? named : versionOnly ? [] : COMMAND_MODULES
  for (const registers of await Promise.all(modules.map((module) => module.load()))) {
    for (const register of registers) register(program)
  }
  return program
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
    // Commander has already printed the help text or the usage error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
    const code = isImgpipeError(error) ? error.code : 'IMGPIPE_INTERNAL'
    process.stderr.write(`imgpipe: ${describeError(error)} [${code}]\n`)
    return code === 'IMGPIPE_CONFIG_INVALID' || code === 'IMGPIPE_USAGE' ? 2 : 1
  }
}
