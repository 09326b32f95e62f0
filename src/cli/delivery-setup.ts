import { closeChannels, openSubscriptionChannels } from '../adapters/open-channels.js'
import type { Catalog } from '../core/ports/catalog.js'
import type { Subscriptions } from '../core/ports/subscriptions.js'
import { objectLedgerDeps } from '../analysis/association/ledger-deps.js'
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

/** The delivery worker of an alert or deliver process, on the process's backends. */
export async function startDelivery(context: CliContext, backends: DeliveryBackends): Promise<RunningDelivery> {
  const { config, logger } = context
  const subscriptions = subscriptionsOf(backends.catalog)
  const channels = await openSubscriptionChannels(config.delivery, backends.bus, config.topicPartitions)
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
