import { pino, type Logger } from 'pino'

export type { Logger }

/**
 * Structured logs (pino, JSON lines) on stderr, so stdout stays free for summaries and `--json` output.
 * Credentials never reach a log: configs are logged through their `describe*` helpers only.
 */
export function createLogger(level: string, destination: number = 2): Logger {
  return pino({ level, base: { service: 'imgpipe' } }, pino.destination({ dest: destination, sync: true }))
}

export const silentLogger: Logger = pino({ level: 'silent' })
