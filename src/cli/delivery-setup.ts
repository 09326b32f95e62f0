import { closeChannels, openSubscriptionChannels } from '../adapters/open-channels.js'
import { AlertCodec } from '../alerts/avro/alert-codec.js'
import { AvroAlertPacketSource } from '../alerts/avro/avro-alert-packet-source.js'
import { SchemaRegistryClient } from '../alerts/avro/schema-registry-client.js'
import { objectLedgerDeps } from '../analysis/association/ledger-deps.js'
import type { Config } from '../config/load-config.js'
import type { AlertPacketSource } from '../core/ports/alert-packet-source.js'
import type { Catalog } from '../core/ports/catalog.js'
import type { DeliveryChannel } from '../core/ports/delivery-channel.js'
import type { Subscriptions } from '../core/ports/subscriptions.js'
import { withDetections } from '../stages/alert/alert-payload.js'
import { DeliveryWorker } from '../stages/alert/delivery-worker.js'
import type { CliContext } from './cli-context.js'
import type { OpenedBackends } from './with-backends.js'

/** What the delivery worker needs: the catalog (alerts, subscriptions), the store (images to attach), the bus (Kafka topics). */
export const DELIVERY_BACKENDS = { catalog: 'ready', store: 'ready', bus: 'open' } as const
export type DeliveryBackends = OpenedBackends<typeof DELIVERY_BACKENDS>

/** The subscriptions kept on the catalog's database (typed on the Catalog port: no cast, no missing case). */
export function subscriptionsOf(catalog: Pick<Catalog, 'subscriptions'>): Subscriptions {
  return catalog.subscriptions
}

export interface RunningDelivery {
  worker: DeliveryWorker
  subscriptions: Subscriptions
  /** Stops the worker (after draining up to `drainMs` when given) and closes the channels. */
  close(drainMs?: number): Promise<void>
}

/** The configured schema registry's client (credentials from the password setting), or null. */
export function schemaRegistryOf(config: Config): SchemaRegistryClient | null {
  if (config.schemaRegistry === null) return null
  const url = new URL(config.schemaRegistry.url)
  // The client turns URL credentials into a Basic header and strips them; the URL itself is never printed.
  if (config.schemaRegistry.password !== undefined) url.password = encodeURIComponent(config.schemaRegistry.password)
  return new SchemaRegistryClient({ url: url.toString() })
}

/** The Avro packets of `avro:` kafka-topic subscriptions, when a schema registry is configured (else none). */
async function alertPacketSource(config: Config, backends: DeliveryBackends): Promise<AlertPacketSource | undefined> {
  const registry = schemaRegistryOf(config)
  if (registry === null) return undefined
  return new AvroAlertPacketSource({
    objects: backends.catalog.objectLedger(objectLedgerDeps),
    derivatives: backends.catalog.scienceLedger(),
    store: backends.store,
    registry,
    codec: await AlertCodec.load(),
  })
}

/** The subscription channels of a process that delivers (the worker, or `subscription test`). */
export async function openDeliveryChannels(config: Config, backends: DeliveryBackends): Promise<Map<string, DeliveryChannel>> {
  return openSubscriptionChannels(config.delivery, backends.bus, config.topicPartitions, await alertPacketSource(config, backends))
}

/** The delivery worker of an alert or deliver process, on the process's backends. */
export async function startDelivery(context: CliContext, backends: DeliveryBackends): Promise<RunningDelivery> {
  const { config, logger } = context
  const subscriptions = subscriptionsOf(backends.catalog)
  const channels = await openDeliveryChannels(config, backends)
  // Payloads carry a diffim event's detections (issue 18): the views are read with them.
  const science = { objects: backends.catalog.objectLedger(objectLedgerDeps), ledger: backends.catalog.scienceLedger() }
  const views = withDetections(backends.catalog, science)
  const worker = new DeliveryWorker(views, subscriptions, channels, config.delivery, logger, backends.store)
  worker.start()
  return {
    worker,
    subscriptions,
    async close(drainMs?: number) {
      try {
        if (drainMs === undefined) await worker.stop()
        else if (!(await worker.drain(drainMs, context.stop))) logger.warn('undelivered receivers remain: `imgpipe deliver` sends them')
      } finally {
        await closeChannels(channels)
      }
    },
  }
}
