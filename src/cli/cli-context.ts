import { takeOverEarlySignals } from './early-signals.js'
import { type Command, InvalidArgumentError } from 'commander'
import { ENV, flagName, SETTING_NAMES, SETTINGS } from '../config/settings.js'
import { loadConfig, type Config, type ConfigOverrides } from '../config/load-config.js'
import { ConfigError, isImgpipeError, type ImgpipeError } from '../core/errors.js'
import { createLogger, type Logger, type LogLevel } from '../core/logger.js'
import { settingOverrides } from './setting-options.js'

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
  const typed = settingOverrides(command.optsWithGlobals())
  const overrides = { ...typed }
  const explicitLevel = overrides.logLevel !== undefined || (process.env[ENV.logLevel] ?? '') !== ''
  if (!explicitLevel && options.defaultLogLevel !== undefined) overrides.logLevel = options.defaultLogLevel
  let config: Config
  try {
    config = loadConfig(process.env, overrides)
  } catch (error) {
    throw isImgpipeError(error, 'IMGPIPE_CONFIG_INVALID') ? namedAsTyped(error, typed) : error
  }
  return { config, logger: createLogger(config.logLevel), stop: stopSignal() }
}

/**
 * The configuration's messages name a setting by its variable (`IMGPIPE_EVENT_THRESHOLD="abc" is invalid`);
 * when the value came from its flag, which wins over the variable, the user typed the flag: name that.
 */
function namedAsTyped(error: ImgpipeError, typed: ConfigOverrides): ImgpipeError {
  let message = error.message
  for (const name of SETTING_NAMES) {
    if (typed[name] === undefined) continue
    const variable = SETTINGS[name].env
    message = message.replace(new RegExp(`\\b${variable}(?![A-Z0-9_])`, 'g'), `--${flagName(variable)}`)
  }
  return message === error.message ? error : new ConfigError(message, { cause: error.cause })
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
  const early = takeOverEarlySignals()
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // A signal that came after start-up but before this handler existed (early-signals.ts) stops the command now.
  if (early !== null) onSignal(early)
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
