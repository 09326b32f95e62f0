import { pino, type Logger } from 'pino'

export type { Logger }

/** pino's levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/**
 * Structured logs (pino, JSON lines) on stderr, so stdout stays free for summaries and `--json` output.
 * Credentials never reach a log: backends are logged through their adapters' descriptions only.
 */
export function createLogger(level: string, destination: number = 2): Logger {
  return pino({ level, base: { service: 'imgpipe' } }, pino.destination({ dest: destination, sync: true }))
}

export const silentLogger: Logger = pino({ level: 'silent' })
