import type { AddressInfo } from 'node:net'
import { hostname, networkInterfaces } from 'node:os'
import { InvalidArgumentError, type Command } from 'commander'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { objectLedgerDeps } from '../../analysis/association/ledger-deps.js'
import { ENV } from '../../config/settings.js'
import { loadWebSettings } from '../../config/load-config.js'
import type { WebSettings } from '../../config/web-settings.js'
import { ConfigError } from '../../core/errors.js'
import { buildWebApp } from '../../web/web-app.js'
import { cliContext, positiveInteger } from '../cli-context.js'
import { settingOverrides } from '../setting-options.js'
import { assertCatalogTables, withBackends } from '../with-backends.js'

interface WebOptions {
  /** Undefined: IMGPIPE_WEB_PORT, else 8000 (read with the other web settings). */
  port?: number
  host?: string
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
    .summary('serve the image event viewer')
    .description(
      'serve the image event viewer: enter an alert number to see the previous image, the image and the difference image of its event; new alerts appear live. Stops on SIGINT/SIGTERM',
    )
    // No commander defaults: an unset flag falls back to IMGPIPE_WEB_PORT / IMGPIPE_WEB_HOST, then 8000 / 127.0.0.1.
    .option('-p, --port <port>', `TCP port (0 picks a free one; the URL printed names it; default: 8000; env: ${ENV.webPort})`, portNumber)
    .option('--host <host>', `address to listen on (0.0.0.0 or :: for every interface; default: 127.0.0.1; env: ${ENV.webHost})`)
    .option('--poll-interval <ms>', 'how often live pages are checked for new alerts', positiveInteger, 1000)
    .action(async (options: WebOptions, command: Command) => {
      const context = cliContext(command)
      const { logger, stop } = context
      // Before anything is opened: a bad setting or an unsafe bind stops the command at once.
      const web = loadWebSettings(process.env, settingOverrides(command.optsWithGlobals()))
      const bind: Bind = {
        host: options.host ?? web.host,
        port: options.port ?? web.port,
        portFrom: portSource(options.port, process.env[ENV.webPort]),
      }
      const exposure = checkExposure(bind.host, web)
      if (exposure.warning !== null) logger.warn(exposure.warning)
      // Only reads: a missing catalog is one line naming `imgpipe db create`, not an empty one made here.
      await withBackends(context, { catalog: 'open', store: 'open' }, async ({ catalog, store }) => {
        await assertCatalogTables(catalog)
        const app = await buildWebApp({
          catalog,
          store,
          logger,
          pollIntervalMs: options.pollInterval,
          metrics: webRegistry(),
          allowedHosts: exposure.allowedHosts,
          ...(web.token === undefined ? {} : { token: web.token }),
          // Difference imaging's ledgers on the same database: detections, stamps, references, objects.
          science: { detections: catalog.objectLedger(objectLedgerDeps), ledger: catalog.scienceLedger() },
          limits: {
            maxConnections: web.maxConnections,
            maxEventStreams: web.maxEventStreams,
            maxEventStreamsPerClient: web.maxEventStreamsPerClient,
          },
        })
        try {
          if (stop.aborted) return
          await listen(app, bind)
          const { port } = app.server.address() as AddressInfo
          process.stdout.write(`imgpipe web: ${serverUrl(bind.host, port)}\n`)
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

/** The registry `/metrics` serves: Node's process metrics, and the viewer's own series added by the app. */
export function webRegistry(): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return registry
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '')
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) || name.endsWith('.localhost')
}

/**
 * Host names to answer to, and a warning for a bind beyond loopback; refuses such a bind without a token
 * unless IMGPIPE_WEB_AUTH=off says another layer authenticates.
 */
export function checkExposure(host: string, web: WebSettings): { allowedHosts: string[]; warning: string | null } {
  const wildcard = host === '0.0.0.0' || host === '::' || host === '[::]'
  // Bound to every interface: the machine's name and addresses are what a user would type.
  const own = wildcard
    ? [
        hostname(),
        ...Object.values(networkInterfaces())
          .flat()
          .map((address) => address?.address ?? ''),
      ]
    : [host]
  const allowedHosts = [...own, ...web.allowedHosts].filter((name) => name !== '')
  if (isLoopback(host)) return { allowedHosts, warning: null }
  if (web.token === undefined && web.auth !== 'off') {
    throw new ConfigError(
      `--host ${host}: listening beyond this machine needs ${ENV.webToken} (a secret of 16 or more characters), or ${ENV.webAuth}=off when a proxy in front authenticates`,
    )
  }
  const how = web.token === undefined ? `without authentication (${ENV.webAuth}=off)` : `with ${ENV.webToken} required`
  return { allowedHosts, warning: `imgpipe web listens on ${host}, reachable from other machines, ${how}` }
}

/** Where the viewer listens, and which of the flag, the variable or the default chose the port (for messages). */
interface Bind {
  host: string
  port: number
  portFrom: string
}

/** `--port`, `IMGPIPE_WEB_PORT=` or `port` (the default): how the user gave the port that failed. */
function portSource(flag: number | undefined, variable: string | undefined): string {
  if (flag !== undefined) return '--port'
  return variable !== undefined && variable.trim() !== '' ? `${ENV.webPort}=` : 'port'
}

/** The remedy for a port that cannot be used: either way of choosing another. */
const PORT_HINT = `choose another with --port <port> or ${ENV.webPort}=<port> (0 picks a free one)`

async function listen(app: Awaited<ReturnType<typeof buildWebApp>>, { host, port, portFrom }: Bind): Promise<void> {
  try {
    await app.listen({ host, port })
  } catch (error) {
    // The fix is another --port or --host, so these are reported like a bad setting (exit code 2), in one line.
    const code = (error as NodeJS.ErrnoException).code
    const given = portFrom.endsWith('=') ? `${portFrom}${port}` : `${portFrom} ${port}`
    if (code === 'EADDRINUSE') throw new ConfigError(`${given}: address ${serverUrl(host, port)} already in use; ${PORT_HINT}`)
    if (code === 'EACCES') throw new ConfigError(`${given}: not allowed to listen on ${serverUrl(host, port)}; ${PORT_HINT}`)
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new ConfigError(`--host ${host}: not an address of this machine (--host or ${ENV.webHost})`, { cause: error })
    }
    throw error
  }
}
