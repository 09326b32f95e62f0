import { type Command, InvalidArgumentError, Option } from 'commander'
import { loadConfig, type Config, type ConfigOverrides, type LogLevel } from '../config.js'
import { createLogger, type Logger } from '../core/logger.js'

/** Options every command accepts; each overrides the env var named in its help. */
export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(new Option('--database-url <url>', 'catalog database (env IMGPIPE_DATABASE_URL)'))
    .addOption(new Option('--object-store-url <url>', 'object store (env IMGPIPE_OBJECT_STORE_URL)'))
    .addOption(new Option('--broker-url <url>', 'message broker (env IMGPIPE_BROKER_URL)'))
    .addOption(new Option('--topic-prefix <prefix>', 'prefix for topic and group names (env IMGPIPE_TOPIC_PREFIX)'))
    .addOption(new Option('--partitions <n>', 'partitions of topics created (env IMGPIPE_TOPIC_PARTITIONS)'))
    .addOption(new Option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env IMGPIPE_LOG_LEVEL)'))
}

interface GlobalOptions {
  databaseUrl?: string
  objectStoreUrl?: string
  brokerUrl?: string
  topicPrefix?: string
  partitions?: string
  logLevel?: string
}

export interface CliContext {
  config: Config
  logger: Logger
  /** Aborted on the first SIGINT/SIGTERM; a second one exits at once. */
  stop: AbortSignal
}

/**
 * Loads and validates the configuration once, from env vars and the command's flags. Without an explicit
 * level, commands a person runs log warnings only (their output and progress bar stay readable); the
 * long-running stages pass `defaultLogLevel: 'info'` to log what they do.
 */
export function cliContext(command: Command, options: { defaultLogLevel?: LogLevel } = {}): CliContext {
  const flags = command.optsWithGlobals<GlobalOptions>()
  const overrides: ConfigOverrides = {
    databaseUrl: flags.databaseUrl,
    objectStoreUrl: flags.objectStoreUrl,
    brokerUrl: flags.brokerUrl,
    topicPrefix: flags.topicPrefix,
    topicPartitions: flags.partitions,
    logLevel: flags.logLevel,
  }
  const explicitLevel = flags.logLevel !== undefined || (process.env['IMGPIPE_LOG_LEVEL'] ?? '') !== ''
  if (!explicitLevel && options.defaultLogLevel !== undefined) overrides.logLevel = options.defaultLogLevel
  const config = loadConfig(process.env, overrides)
  return { config, logger: createLogger(config.logLevel), stop: stopSignal() }
}

let stopController: AbortController | undefined

function stopSignal(): AbortSignal {
  if (stopController !== undefined) return stopController.signal
  const controller = new AbortController()
  stopController = controller
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      process.stderr.write(`imgpipe: ${signal} again, exiting now\n`)
      process.exit(130)
    }
    process.stderr.write(`imgpipe: ${signal} received, stopping cleanly (send it again to stop at once)\n`)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return controller.signal
}

export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a positive integer')
  }
  return Number(value)
}

export function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected an integer >= 0')
  return Number(value)
}

/** Prints a machine-readable result on stdout (one JSON document). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}
