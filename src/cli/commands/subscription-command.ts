import { randomUUID } from 'node:crypto'
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { openCatalog } from '../../adapters/open-backends.js'
import { closeChannels } from '../../adapters/open-channels.js'
import { KAFKA_TOPIC_FORMATS, kafkaTarget } from '../../adapters/kafka-topic/kafka-topic-channel.js'
import { newWebhookSecret } from '../../adapters/webhook/webhook-channel.js'
import type { Config } from '../../config/load-config.js'
import { NotFoundError, UsageError, describeError, isImgpipeError } from '../../core/errors.js'
import { EVENT_TYPES } from '../../core/event-types.js'
import type { DeliveryChannel } from '../../core/ports/delivery-channel.js'
import type { ChannelKind, SubscriptionAdmin, Subscriptions } from '../../core/ports/subscriptions.js'
import type { AlertView } from '../../core/types.js'
import { objectLedgerDeps } from '../../analysis/association/ledger-deps.js'
import { DeliveryWorker } from '../../stages/alert/delivery-worker.js'
import { cliContext, printJson } from '../cli-context.js'
import { DELIVERY_BACKENDS, openDeliveryChannels } from '../delivery-setup.js'
import { assertCatalogExists, withBackends } from '../with-backends.js'
import {
  assertValidTarget,
  buildFilter,
  describeFilter,
  maskSecret,
  maskTarget,
  parseChannel,
  subscriptionJson,
} from '../subscription-format.js'
import { cellText, formatTable, outputWidth } from '../table-format.js'

/**
 * `imgpipe subscriber add|list|remove` and `imgpipe subscription add|list|remove|enable|disable|test`.
 * Secrets are shown once, when `subscription add` generates one, and masked everywhere else.
 */

/**
 * Opens the catalog, runs `work` with its subscriptions (SubscriptionAdmin and DeliveryLedger: one object on the
 * catalog's connection), closes it. `write` (the default) creates and migrates the catalog first; `read` (the list
 * commands) creates nothing and migrates nothing: a missing catalog is one line naming `imgpipe db create`.
 */
export async function withSubscriptions<T>(
  config: Config,
  work: (subscriptions: Subscriptions) => Promise<T>,
  access: 'read' | 'write' = 'write',
): Promise<T> {
  if (access === 'read') assertCatalogExists(config.database)
  const catalog = await openCatalog(config.database, { create: access === 'write' })
  try {
    if (access === 'write') await catalog.migrate()
    return await work(catalog.subscriptions)
  } finally {
    await catalog.close()
  }
}

/** {@link withSubscriptions} for commands that only read (the list commands): nothing created or migrated. */
export function readSubscriptions<T>(config: Config, work: (subscriptions: Subscriptions) => Promise<T>): Promise<T> {
  return withSubscriptions(config, work, 'read')
}

/** The subscriber and subscription commands administer; receiver rows are `imgpipe deliveries`'. */
function withAdmin<T>(config: Config, work: (admin: SubscriptionAdmin) => Promise<T>): Promise<T> {
  return withSubscriptions(config, work)
}

function readAdmin<T>(config: Config, work: (admin: SubscriptionAdmin) => Promise<T>): Promise<T> {
  return readSubscriptions(config, work)
}

/** A number names the row by id; anything else by name. */
export function idOrName(value: string): number | string {
  return /^\d+$/.test(value) ? Number(value) : value
}

function fraction(value: string): number {
  const number = Number(value)
  if (!/^\d*\.?\d+$/.test(value) || number > 1) throw new InvalidArgumentError('expected a fraction from 0 to 1')
  return number
}

const EVENT_TYPE_NAMES = EVENT_TYPES.map((type) => type.name)

/** A misspelt type would match no event, silently. */
function eventType(value: string, previous: string[] = []): string[] {
  if (!EVENT_TYPE_NAMES.some((name) => name === value)) throw new InvalidArgumentError(`expected one of ${EVENT_TYPE_NAMES.join(', ')}`)
  return [...previous, value]
}

function nonNegative(value: string): number {
  if (!/^\d*\.?\d+([eE][-+]?\d+)?$/.test(value)) throw new InvalidArgumentError('expected a number, 0 or more')
  return Number(value)
}

function magnitude(value: string): number {
  if (!/^[-+]?\d*\.?\d+$/.test(value)) throw new InvalidArgumentError('expected a magnitude, e.g. 20.5')
  return Number(value)
}

function count(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected a whole number, 0 or more')
  return Number(value)
}

/** A watchlist filter naming no watchlist would match nothing, silently: refused when the subscription is added. */
async function assertWatchlistsExist(config: Config, names: readonly string[]): Promise<void> {
  const catalog = await openCatalog(config.database)
  try {
    await catalog.migrate()
    const known = new Set((await catalog.objectLedger(objectLedgerDeps).listWatchlists()).map((list) => list.name))
    const missing = names.find((name) => !known.has(name))
    if (missing !== undefined) throw new NotFoundError(`--watchlist ${missing}: no such watchlist; add it with imgpipe watchlist add`)
  } finally {
    await catalog.close()
  }
}

function seconds(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a positive number of seconds')
  return Number(value)
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

function print(lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`)
}

export function registerSubscriberCommand(program: Command): void {
  const subscriber = program
    .command('subscriber')
    .summary('who receives alerts: add, list, remove')
    .description('who receives alerts: add, list or remove subscribers')
  subscriber
    .command('add <name>')
    .description('add a subscriber (a person, team or system)')
    .option('--contact <text>', 'how to reach them (shown to operators only)')
    .option('--json', 'print the subscriber as JSON')
    .action(async (name: string, options: { contact?: string; json?: boolean }, command: Command) => {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new UsageError('subscriber name: 1 to 64 letters, digits, ".", "_" or "-"')
      const { config } = cliContext(command)
      const added = await withAdmin(config, (subscriptions) => subscriptions.addSubscriber({ name, contact: options.contact ?? null }))
      if (options.json === true) printJson(added)
      else print([`subscriber ${added.subscriberId} ${added.name} added`])
    })
  subscriber
    .command('list')
    .description('list subscribers')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config } = cliContext(command)
      const list = await readAdmin(config, (subscriptions) => subscriptions.listSubscribers())
      if (options.json === true) return printJson(list)
      const table = formatTable(
        [{ header: 'id', align: 'right' }, { header: 'name' }, { header: 'contact' }, { header: 'enabled' }],
        list.map((row) => [String(row.subscriberId), cellText(row.name), cellText(row.contact), String(row.enabled)]),
        { maxWidth: outputWidth() },
      )
      print(list.length === 0 ? ['no subscribers'] : table.lines)
    })
  subscriber
    .command('remove <subscriber>')
    .description('remove a subscriber (by id or name) with its subscriptions and their delivery records')
    .option('--yes', 'really remove')
    .action(async (which: string, options: { yes?: boolean }, command: Command) => {
      if (options.yes !== true) throw new UsageError('subscriber remove deletes its subscriptions and delivery records: add --yes')
      const { config } = cliContext(command)
      const removed = await withAdmin(config, (subscriptions) => subscriptions.removeSubscriber(idOrName(which)))
      if (!removed) throw new NotFoundError(`no subscriber ${which}`)
      print([`subscriber ${which} removed`])
    })
}

interface AddOptions {
  subscriber: string
  channel: string
  target: string
  secret?: string
  stream?: string[]
  eventType?: string[]
  watchlist?: string[]
  minSnr?: number
  minFlux?: number
  maxMag?: number
  minRealBogus?: number
  minDetections?: number
  minChanged?: number
  digest?: number
  format?: string
  json?: boolean
}

export function registerSubscriptionCommand(program: Command): void {
  const subscription = program
    .command('subscription')
    .summary('which alerts go where: add, list, test, …')
    .description('which alerts go where: add, list, remove, enable, disable or test subscriptions')
  subscription
    .command('add <name>')
    .description('add a subscription: a channel (webhook, slack, smtp, kafka-topic), a target and a filter')
    .requiredOption('--subscriber <subscriber>', 'subscriber id or name')
    .requiredOption('--channel <channel>', 'webhook | slack | smtp | kafka-topic')
    .requiredOption('--target <target>', 'URL (webhook, slack), e-mail addresses separated by commas (smtp), topic name (kafka-topic)')
    .option('--secret <secret>', 'webhook signing secret: whsec_… or env:VAR (default: a new whsec_ secret, printed once)')
    .option('--stream <glob>', 'only streams matching this name or glob (repeatable)', collect)
    .option('--event-type <type>', `only this event type: ${EVENT_TYPE_NAMES.join(', ')} (repeatable)`, eventType)
    .option('--watchlist <name>', 'only alerts with a detection inside a cone of this watchlist (repeatable: any of them)', collect)
    .option('--min-snr <x>', 'only alerts with a detection of |S/N| at least this', nonNegative)
    .option('--min-flux <adu>', 'only alerts with a detection of |PSF flux| at least this many ADU', nonNegative)
    .option('--max-mag <mag>', "only alerts with a detection at least this bright (|PSF flux| at the image's MAGZP, else 26)", magnitude)
    .option('--min-real-bogus <score>', 'only alerts with a detection of real-bogus score at least this (0..1)', fraction)
    .option('--min-detections <n>', 'only alerts with a detection whose object was detected at least n times before', count)
    .option('--min-changed <fraction>', 'only alerts whose changed fraction is at least this (0..1)', fraction)
    .option('--digest <seconds>', 'at most one message per this many seconds; the rest are sent as one digest', seconds)
    .option('--format <format>', 'kafka-topic only: json (default, a message per alert) or avro (a packet per detection, schema registry)')
    .option('--json', 'print the subscription as JSON (secret masked except a newly generated one)')
    .action(async (name: string, options: AddOptions, command: Command) => {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new UsageError('subscription name: 1 to 64 letters, digits, ".", "_" or "-"')
      const { config } = cliContext(command)
      const channel = parseChannel(options.channel)
      const target = formattedTarget(channel, options.target, options.format)
      assertValidTarget(channel, target, config.delivery.allowPrivate)
      if (options.secret !== undefined && channel !== 'webhook') throw new UsageError('--secret is for webhook subscriptions only')
      const generated = channel === 'webhook' && options.secret === undefined ? newWebhookSecret() : undefined
      const secret = options.secret ?? generated ?? null
      const filter = buildFilter(options)
      if (filter.watchlists !== undefined) await assertWatchlistsExist(config, filter.watchlists)
      const added = await withAdmin(config, async (subscriptions) => {
        const owner = await subscriptions.findSubscriber(idOrName(options.subscriber))
        if (owner === null) throw new NotFoundError(`no subscriber ${options.subscriber}: add it with imgpipe subscriber add`)
        return subscriptions.addSubscription({ subscriberId: owner.subscriberId, name, channel, target, secret, filter })
      })
      if (options.json === true) return printJson({ ...subscriptionJson(added), ...(generated === undefined ? {} : { secret: generated }) })
      print([
        `subscription ${added.subscriptionId} ${added.name}: ${channel} → ${maskTarget(channel, added.target)} (${describeFilter(filter)})`,
        ...(generated === undefined ? [] : [`signing secret (shown once, keep it): ${generated}`]),
      ])
    })
  subscription
    .command('list')
    .description('list subscriptions (secrets masked)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config } = cliContext(command)
      const list = await readAdmin(config, (subscriptions) => subscriptions.listSubscriptions())
      if (options.json === true) return printJson(list.map(subscriptionJson))
      const table = formatTable(
        ['id', 'name', 'subscriber', 'channel', 'target', 'secret', 'filter', 'enabled'].map((header) => ({ header })),
        list.map((row) => [
          String(row.subscriptionId),
          cellText(row.name),
          String(row.subscriberId),
          row.channel,
          cellText(maskTarget(row.channel, row.target)),
          cellText(maskSecret(row.secret)),
          cellText(describeFilter(row.filter)),
          String(row.enabled),
        ]),
        { maxWidth: outputWidth() },
      )
      print(list.length === 0 ? ['no subscriptions'] : table.lines)
    })
  subscription
    .command('remove <subscription>')
    .description('remove a subscription (by id or name) and its delivery records')
    .option('--yes', 'really remove')
    .action(async (which: string, options: { yes?: boolean }, command: Command) => {
      if (options.yes !== true) throw new UsageError('subscription remove deletes its delivery records: add --yes')
      const { config } = cliContext(command)
      const removed = await withAdmin(config, (subscriptions) => subscriptions.removeSubscription(idOrName(which)))
      if (!removed) throw new NotFoundError(`no subscription ${which}`)
      print([`subscription ${which} removed`])
    })
  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    subscription
      .command(`${verb} <subscription>`)
      .description(`${verb} a subscription (new alerts ${enabled ? 'reach it again' : 'no longer reach it'})`)
      .action(async (which: string, _options: unknown, command: Command) => {
        const { config } = cliContext(command)
        const done = await withAdmin(config, (subscriptions) => subscriptions.setSubscriptionEnabled(idOrName(which), enabled))
        if (!done) throw new NotFoundError(`no subscription ${which}`)
        print([`subscription ${which} ${verb}d`])
      })
  }
  subscription
    .command('test <subscription>')
    .description(
      "send a test message, marked as a test, with a sample alert (the latest, or a made-up one) to the subscription's target and print its answer",
    )
    .option('--json', 'print the answer as JSON')
    .action(async (which: string, options: { json?: boolean }, command: Command) => {
      const context = cliContext(command)
      await withBackends(context, DELIVERY_BACKENDS, async (backends) => {
        const channels = markedAsTests(await openDeliveryChannels(context.config, backends))
        try {
          const subscriptions = backends.catalog.subscriptions
          const found = await subscriptions.findSubscription(idOrName(which))
          if (found === null) throw new NotFoundError(`no subscription ${which}`)
          const worker = new DeliveryWorker(
            backends.catalog,
            subscriptions,
            channels,
            context.config.delivery,
            context.logger,
            backends.store,
          )
          const views = await backends.catalog.listAlertViews({ limit: 1 })
          const deliveryId = `test-${randomUUID()}`
          try {
            const receipt = await worker.sendTo(found, deliveryId, views.length > 0 ? views : [sampleView()], 1)
            if (options.json === true) printJson({ ok: true, deliveryId, ...receipt })
            else print([`test message delivered (${deliveryId}): ${receipt.responseCode ?? ''} ${receipt.detail}`.trim()])
          } catch (error) {
            const code = isImgpipeError(error) ? error.code : 'IMGPIPE_INTERNAL'
            if (options.json === true) printJson({ ok: false, deliveryId, error: describeError(error), code })
            throw error
          }
        } finally {
          await closeChannels(channels)
        }
      })
    })
}

/** The target as stored: `--format avro` makes a kafka-topic target `avro:<topic>` (see parseKafkaTarget). */
function formattedTarget(channel: ChannelKind, target: string, format: string | undefined): string {
  if (format === undefined) return target
  const known = KAFKA_TOPIC_FORMATS.find((name) => name === format)
  if (known === undefined) throw new UsageError(`--format must be one of ${KAFKA_TOPIC_FORMATS.join(', ')}`)
  if (channel !== 'kafka-topic') throw new UsageError('--format is for kafka-topic subscriptions only')
  if (target.includes(':')) throw new UsageError('--target with --format is a topic name (without a format: prefix)')
  return kafkaTarget(target, known)
}

/**
 * The channels, each sending every payload with `test: true`: a test message resends the latest alert (or
 * a made-up one), and without the mark its recipients could not tell it from a new alert. Each channel
 * shows the mark its own way (subject and text of a mail, first line on Slack, the field in JSON).
 */
function markedAsTests(channels: Map<string, DeliveryChannel>): Map<string, DeliveryChannel> {
  const marked = new Map<string, DeliveryChannel>()
  for (const [kind, channel] of channels) {
    marked.set(kind, {
      kind: channel.kind,
      send: (delivery) => channel.send({ ...delivery, payload: { ...delivery.payload, test: true } }),
      close: () => channel.close(),
    })
  }
  return marked
}

/** A made-up alert for `subscription test` on an empty catalog; numbers 0 say it is not a real one. */
function sampleView(): AlertView {
  const now = new Date()
  const image = {
    imageId: 0,
    imageFilename: 'sample.png',
    imageObjectKey: 'image/sample/sample.png',
    stream: 'sample',
    imageNum: 0,
    contentSha256: null,
    byteSize: null,
    width: null,
    height: null,
    format: null,
    status: 'analyzed' as const,
    errorCode: null,
    errorMessage: null,
    receivedAt: now,
    analyzedAt: now,
    previousImageId: null,
    l2Norm: 0,
    changedFraction: 0.5,
    maxAbsDifference: 255,
    observation: null,
  }
  return {
    alert: { imageEventAlertId: 0, imageEventId: 0, createdAt: now, deliveredAt: null, deliveryChannels: null },
    event: {
      imageEventId: 0,
      imageId: 0,
      differenceImageObjectKey: 'difference_image/sample/0.png',
      eventType: 'changed',
      detectedAt: now,
      analyzer: null,
      analyzerVersion: null,
    },
    image,
    previousImage: null,
  }
}
