import type { AddressInfo } from 'node:net'
import { InvalidArgumentError, type Command } from 'commander'
import { ConfigError } from '../../core/errors.js'
import { buildWebApp } from '../../web/web-app.js'
import { cliContext, positiveInteger } from '../cli-context.js'
import { withBackends } from '../with-backends.js'

interface WebOptions {
  port: number
  host: string
  pollInterval: number
}

/** A TCP port, 0 meaning "any free port". */
export function portNumber(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535')
  return Number(value)
}

/** `http://127.0.0.1:8000/`, with brackets around an IPv6 address. */
export function serverUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`
}

/** `imgpipe web`: the image event viewer on the configured catalog and object store (no broker needed). */
export function registerWebCommand(program: Command): void {
  program
    .command('web')
    .description(
      'serve the image event viewer: enter an alert number to see the previous image, the image and the difference image of its event; new alerts appear live. Stops on SIGINT/SIGTERM',
    )
    .option('-p, --port <port>', 'TCP port (0 picks a free one; the URL printed names it)', portNumber, 8000)
    .option('--host <host>', 'address to listen on (0.0.0.0 or :: for every interface)', '127.0.0.1')
    .option('--poll-interval <ms>', 'how often live pages are checked for new alerts', positiveInteger, 1000)
    .action(async (options: WebOptions, command: Command) => {
      const context = cliContext(command)
      const { logger, stop } = context
      await withBackends(context, { catalog: 'ready', store: 'open' }, async ({ catalog, store }) => {
        const app = await buildWebApp({ catalog, store, logger, pollIntervalMs: options.pollInterval })
        try {
          if (stop.aborted) return
          await listen(app, options.host, options.port)
          const { port } = app.server.address() as AddressInfo
          process.stdout.write(`imgpipe web: ${serverUrl(options.host, port)}\n`)
          logger.info({ catalog: catalog.description, store: store.description }, 'image event viewer listening')
          await new Promise<void>((resolve) => {
            if (stop.aborted) resolve()
            else stop.addEventListener('abort', () => resolve(), { once: true })
          })
        } finally {
          await app.close()
        }
      })
    })
}

async function listen(app: Awaited<ReturnType<typeof buildWebApp>>, host: string, port: number): Promise<void> {
  try {
    await app.listen({ host, port })
  } catch (error) {
    // The fix is another --port or --host, so these are reported like a bad setting (exit code 2).
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') throw new ConfigError(`--port ${port}: address ${serverUrl(host, port)} already in use`)
    if (code === 'EACCES') throw new ConfigError(`--port ${port}: not allowed to listen on ${serverUrl(host, port)}`)
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new ConfigError(`--host ${host}: not an address of this machine`, { cause: error })
    }
    throw error
  }
}
