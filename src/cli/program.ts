import { Command, CommanderError } from 'commander'
import { describeError, isImgpipeError } from '../core/errors.js'
import { addGlobalOptions } from './cli-context.js'
import { registerDbCommand } from './commands/db-command.js'
import { registerDeliveriesCommand } from './commands/deliveries-command.js'
import { registerSubscriberCommand, registerSubscriptionCommand } from './commands/subscription-command.js'
import { registerIngestCommand } from './commands/ingest-command.js'
import { registerPipelineCommands } from './commands/pipeline-commands.js'
import { registerReanalyzeCommand } from './commands/reanalyze-command.js'
import { registerStatusCommand } from './commands/status-command.js'
import { registerStoreCommand } from './commands/store-command.js'
import { registerViewCommand } from './commands/view-command.js'
import { registerWebCommand } from './commands/web-command.js'
import { registerWatchlistCommand } from './commands/watchlist-command.js'
import { VERSION } from './package-info.js'

export { VERSION }

export function buildProgram(): Command {
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
  registerPipelineCommands(program)
  registerIngestCommand(program)
  registerReanalyzeCommand(program)
  registerViewCommand(program)
  registerWebCommand(program)
  registerDbCommand(program)
  registerStoreCommand(program)
  registerStatusCommand(program)
  registerSubscriberCommand(program)
  registerSubscriptionCommand(program)
  registerDeliveriesCommand(program)
  registerWatchlistCommand(program)
  return program
}

/**
 * Runs the CLI and returns the exit code: 0 ok, 1 failure, 2 usage or configuration error,
 * 3 partial failure (some ingested files were bad). Failures print one line: the reason and its code.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram()
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
