import { pino, type Logger } from 'pino'

/**
 * The logger of `imgpipe ingest`. The receive stage logs each rejected image as a warning (JSON); ingest prints
 * a readable `imgpipe: rejected <file>: <reason>` line for each one itself. On a terminal, at the default
 * level (warn), the JSON line would say the same thing again, so it is left out there: one line per bad file.
 * It is kept where a program reads stderr (not a terminal) and whenever `--log-level` is info or more verbose.
 * Every other warning (a store that retries, a slow broker) is logged as usual.
 */
export function ingestLogger(logger: Logger, stderrIsTerminal: boolean): Logger {
  if (!stderrIsTerminal || logger.isLevelEnabled('info')) return logger
  return pino(
    {
      level: logger.level,
      base: { service: 'imgpipe' },
      hooks: {
        logMethod(args, method, level) {
          if (isRejectionLine(args, level)) return
          method.apply(this, args)
        },
      },
    },
    pino.destination({ dest: 2, sync: true }),
  )
}

/** pino's number for `warn`. */
const WARN = 40

/** The receive stage's warning for an image it recorded as failed: `{ stream, imageNum, code }, 'receive: …'`. */
export function isRejectionLine(args: readonly unknown[], level: number): boolean {
  const [fields, message] = args
  return (
    level === WARN &&
    typeof fields === 'object' &&
    fields !== null &&
    'imageNum' in fields &&
    'code' in fields &&
    typeof message === 'string' &&
    message.startsWith('receive: ')
  )
}
