import { PassThrough, type Readable } from 'node:stream'
import { ClosedError, describeError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { CatalogReports } from '../core/ports/catalog-reports.js'
import type { AlertView } from '../core/types.js'
import { apiAlert } from './api-routes.js'

/**
 * Server-Sent Events for new alerts (`GET /events`), written by hand: the format is four lines of text, and
 * no SSE plugin for Fastify 5 is installed. One poller per app, whatever the number of open pages, asks the
 * catalog for the newest alerts every `pollIntervalMs` while at least one client listens, and writes
 * each client the alerts it has not seen (`event: alert`, `id:` the alert number, `data:` the alert as JSON).
 *
 * Ids come from an auto-increment, but on MySQL/PostgreSQL a transaction holding a lower id can commit after a
 * higher one; a client therefore keeps looking {@link LATE_COMMIT_WINDOW} ids below the newest it saw and
 * remembers what it was sent, so a late alert still arrives once and only once.
 */

export interface AlertFeedOptions {
  catalog: CatalogReports
  logger: Logger
  /** How often the catalog is asked for new alerts while clients listen. */
  pollIntervalMs: number
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs?: number
}

/** Alerts per catalog query, and the most queries per poll (a burst larger than both is skipped over). */
const PAGE_SIZE = 50
const MAX_PAGES_PER_POLL = 20
const LATE_COMMIT_WINDOW = 50
/** A client that does not read its stream is dropped before it holds this many bytes of ours. */
const MAX_BUFFERED_BYTES = 1 << 20
const KEEP_ALIVE = Buffer.from(': keep-alive\n\n')

interface Client {
  stream: PassThrough
  /** Alerts with a number at or below this are not for this client. */
  floor: number
  /** Numbers above `floor` already written. */
  sent: Set<number>
}

export class AlertFeed {
  readonly #options: AlertFeedOptions
  readonly #clients = new Set<Client>()
  #pollTimer: NodeJS.Timeout | undefined
  #heartbeatTimer: NodeJS.Timeout | undefined
  #polling = false
  #closed = false
  #failing = false

  constructor(options: AlertFeedOptions) {
    this.#options = options
  }

  /** Open streams, for tests and health views. */
  get clientCount(): number {
    return this.#clients.size
  }

  /**
   * A stream of SSE text for one client, carrying alerts numbered above `after` (the newest alert now when
   * undefined). It ends when the feed closes; destroying it (the client went away) unsubscribes it.
   */
  async open(after: number | undefined): Promise<Readable> {
    if (this.#closed) throw new ClosedError('alert event stream')
    const floor = after ?? (await this.#newestNumber())
    if (this.#closed) throw new ClosedError('alert event stream')
    const client: Client = { stream: new PassThrough(), floor, sent: new Set() }
    this.#clients.add(client)
    client.stream.on('close', () => this.#remove(client))
    // Sent at once so the response headers go out and the browser reports the stream open.
    client.stream.write(`retry: 3000\n: alerts after ${floor}\n\n`)
    this.#start()
    return client.stream
  }

  /** Ends every stream and stops polling; `app.close()` then finds no request in flight. */
  close(): void {
    this.#closed = true
    clearTimeout(this.#pollTimer)
    clearInterval(this.#heartbeatTimer)
    for (const client of this.#clients) client.stream.end()
    this.#clients.clear()
  }

  #remove(client: Client): void {
    this.#clients.delete(client)
    if (this.#clients.size === 0) this.#stop()
  }

  #start(): void {
    if (this.#heartbeatTimer === undefined) {
      this.#heartbeatTimer = setInterval(() => this.#writeAll(KEEP_ALIVE), this.#options.heartbeatMs ?? 15_000)
      this.#heartbeatTimer.unref()
    }
    this.#schedule()
  }

  #stop(): void {
    clearTimeout(this.#pollTimer)
    clearInterval(this.#heartbeatTimer)
    this.#pollTimer = undefined
    this.#heartbeatTimer = undefined
  }

  #schedule(): void {
    // One poll at a time: a slow database delays the next poll instead of stacking queries.
    if (this.#closed || this.#polling || this.#pollTimer !== undefined || this.#clients.size === 0) return
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = undefined
      this.#polling = true
      void this.#poll().finally(() => {
        this.#polling = false
        this.#schedule()
      })
    }, this.#options.pollIntervalMs)
    this.#pollTimer.unref()
  }

  async #poll(): Promise<void> {
    if (this.#clients.size === 0) return
    let views: AlertView[]
    try {
      views = await this.#alertsAbove(Math.min(...[...this.#clients].map((client) => client.floor)))
    } catch (error) {
      if (this.#closed) return
      // Logged once per outage, not once a second; clients keep their place and catch up afterwards.
      if (!this.#failing)
        this.#options.logger.warn({ err: error }, `alert event stream: reading new alerts failed: ${describeError(error)}`)
      this.#failing = true
      return
    }
    if (this.#failing) this.#options.logger.info('alert event stream: reading new alerts works again')
    this.#failing = false
    if (this.#closed || views.length === 0) return
    // Encoded once and shared: a thousand clients catching up hold one copy of each alert, not a thousand.
    const frames = [...views].reverse().map((view) => {
      const number = view.alert.imageEventAlertId
      // As the JSON API gives it: a FITS image's header linked, not repeated in every frame of every client.
      return { number, bytes: Buffer.from(`id: ${number}\nevent: alert\ndata: ${JSON.stringify(apiAlert(view, ''))}\n\n`) }
    })
    const newest = frames.at(-1)?.number ?? 0
    // Clients that need the same run of alerts share one buffer for it, written at once: a write per alert
    // would queue a thousand small writes on each socket of a thousand catching-up clients.
    const runs = new Map<string, Buffer>()
    for (const client of this.#clients) this.#deliver(client, frames, newest, runs)
  }

  #deliver(client: Client, frames: readonly { number: number; bytes: Buffer }[], newest: number, runs: Map<string, Buffer>): void {
    const wanted: number[] = []
    frames.forEach(({ number }, index) => {
      if (number > client.floor && !client.sent.has(number)) wanted.push(index)
    })
    // Only numbers above the new floor are remembered: a Set never shrinks its table, so a client catching up
    // on a thousand alerts would otherwise keep room for a thousand numbers while it stays connected.
    const floor = Math.max(client.floor, newest - LATE_COMMIT_WINDOW)
    for (const index of wanted) {
      const number = frames[index]?.number ?? 0
      if (number > floor) client.sent.add(number)
    }
    const first = wanted[0]
    const last = wanted.at(-1)
    if (first !== undefined && last !== undefined && last - first + 1 === wanted.length) {
      const key = `${first}-${last}`
      let run = runs.get(key)
      if (run === undefined) {
        run = Buffer.concat(frames.slice(first, last + 1).map((frame) => frame.bytes))
        runs.set(key, run)
      }
      this.#write(client, run)
    } else {
      for (const index of wanted) this.#write(client, frames[index]?.bytes ?? Buffer.alloc(0))
    }
    if (floor !== client.floor) {
      client.floor = floor
      for (const number of client.sent) if (number <= floor) client.sent.delete(number)
    }
  }

  /** Alerts numbered above `floor`, newest first, in pages, up to the per-poll cap. */
  async #alertsAbove(floor: number): Promise<AlertView[]> {
    const found: AlertView[] = []
    let beforeId: number | undefined
    for (let page = 0; page < MAX_PAGES_PER_POLL; page += 1) {
      const views = await this.#options.catalog.listAlertViews(
        beforeId === undefined ? { limit: PAGE_SIZE } : { limit: PAGE_SIZE, beforeId },
      )
      const above = views.filter((view) => view.alert.imageEventAlertId > floor)
      found.push(...above)
      if (views.length < PAGE_SIZE || above.length < views.length) break
      beforeId = views.at(-1)?.alert.imageEventAlertId
    }
    return found
  }

  async #newestNumber(): Promise<number> {
    const [newest] = await this.#options.catalog.listAlertViews({ limit: 1 })
    return newest?.alert.imageEventAlertId ?? 0
  }

  #writeAll(text: Buffer): void {
    for (const client of this.#clients) this.#write(client, text)
  }

  #write(client: Client, text: Buffer): void {
    const { stream } = client
    if (stream.destroyed || stream.writableEnded) return
    if (stream.writableLength > MAX_BUFFERED_BYTES) {
      stream.destroy()
      return
    }
    stream.write(text)
  }
}
