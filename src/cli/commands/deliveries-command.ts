import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { DeliveryFailedError, NotFoundError } from '../../core/errors.js'
import { RECEIVER_STATUSES } from '../../core/ports/subscriptions.js'
import type { ReceiverRecord, ReceiverStatus, SubscriptionAdmin } from '../../core/ports/subscriptions.js'
import { matchesFilter } from '../../stages/alert/alert-filter.js'
import { cliContext, positiveInteger, printJson } from '../cli-context.js'
import { DELIVERY_BACKENDS, startDelivery } from '../delivery-setup.js'
import { withBackends } from '../with-backends.js'
import { cellText, formatTable, outputWidth } from '../table-format.js'
import { idOrName, readSubscriptions, withSubscriptions } from './subscription-command.js'

/** `imgpipe deliveries list|retry`, `imgpipe replay` and `imgpipe deliver` (the delivery worker as its own process). */

function status(value: string): ReceiverStatus {
  const found = RECEIVER_STATUSES.find((known) => known === value)
  if (found === undefined) throw new InvalidArgumentError(`one of ${RECEIVER_STATUSES.join(', ')}`)
  return found
}

/** An ISO time, or a duration back from now: `30m`, `2h`, `7d`. */
export function parseSince(value: string, now = Date.now()): Date {
  const relative = /^(\d+)([smhd])$/.exec(value)
  if (relative !== null) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd']
    return new Date(now - Number(relative[1]) * unit)
  }
  const date = new Date(value)
  if (Number.isNaN(date.getTime()))
    throw new InvalidArgumentError('expected an ISO time (2026-01-31T22:00:00Z) or a duration (30m, 2h, 7d)')
  return date
}

function receiverJson(receiver: ReceiverRecord): Record<string, unknown> {
  return {
    ...receiver,
    nextAttemptAt: receiver.nextAttemptAt.toISOString(),
    createdAt: receiver.createdAt.toISOString(),
    deliveredAt: receiver.deliveredAt?.toISOString() ?? null,
  }
}

/** Subscription and subscriber names by subscription id: a table of ids tells an operator little. */
async function subscriptionNames(
  subscriptions: Pick<SubscriptionAdmin, 'listSubscribers' | 'listSubscriptions'>,
): Promise<Map<number, { subscription: string; subscriber: string | null }>> {
  const subscribers = new Map((await subscriptions.listSubscribers()).map((subscriber) => [subscriber.subscriberId, subscriber.name]))
  const names = new Map<number, { subscription: string; subscriber: string | null }>()
  for (const subscription of await subscriptions.listSubscriptions()) {
    names.set(subscription.subscriptionId, {
      subscription: subscription.name,
      subscriber: subscribers.get(subscription.subscriberId) ?? null,
    })
  }
  return names
}

export function registerDeliveriesCommand(program: Command): void {
  const deliveries = program.command('deliveries').description('alert deliveries to subscriptions: list, retry')
  deliveries
    .command('list')
    .description('one row per alert × subscription, with its status, attempts and last error')
    .option('--status <status>', `only this status: ${RECEIVER_STATUSES.join(', ')}`, status)
    .option('--alert <n>', 'only deliveries of this alert number', positiveInteger)
    .option('--subscription <subscription>', 'only deliveries to this subscription (id or name)')
    .option('--limit <n>', 'at most this many rows', positiveInteger, 100)
    .option('--json', 'print JSON')
    .action(
      async (
        options: { status?: ReceiverStatus; alert?: number; subscription?: string; limit: number; json?: boolean },
        command: Command,
      ) => {
        const { config } = cliContext(command)
        const { rows, names } = await readSubscriptions(config, async (subscriptions) => {
          let subscriptionId: number | undefined
          if (options.subscription !== undefined) {
            const found = await subscriptions.findSubscription(idOrName(options.subscription))
            if (found === null) throw new NotFoundError(`no subscription ${options.subscription}`)
            subscriptionId = found.subscriptionId
          }
          const rows = await subscriptions.listReceivers({
            limit: options.limit,
            ...(options.status === undefined ? {} : { status: options.status }),
            ...(options.alert === undefined ? {} : { imageEventAlertId: options.alert }),
            ...(subscriptionId === undefined ? {} : { subscriptionId }),
          })
          return { rows, names: await subscriptionNames(subscriptions) }
        })
        const named = (row: ReceiverRecord) => names.get(row.subscriptionId) ?? { subscription: null, subscriber: null }
        if (options.json === true) return printJson(rows.map((row) => ({ ...receiverJson(row), ...named(row) })))
        const table = formatTable(
          [
            'alert',
            'subscription',
            'subscriber',
            'status',
            'attempts',
            'code',
            'next attempt',
            'delivered',
            'last error',
            'delivery id',
          ].map((header) => ({ header })),
          rows.map((row) => [
            String(row.imageEventAlertId),
            cellText(named(row).subscription ?? `#${row.subscriptionId}`),
            cellText(named(row).subscriber ?? ''),
            row.status,
            String(row.attempts),
            row.responseCode === null ? '' : String(row.responseCode),
            row.status === 'delivered' || row.status === 'dead' ? '' : row.nextAttemptAt.toISOString(),
            row.deliveredAt?.toISOString() ?? '',
            cellText(row.lastError),
            row.deliveryId,
          ]),
          { maxWidth: outputWidth(), priority: [0, 1, 3, 4, 8, 2, 5, 7, 6, 9] },
        )
        process.stdout.write(`${(rows.length === 0 ? ['no deliveries'] : table.lines).join('\n')}\n`)
      },
    )
  deliveries
    .command('retry')
    .description('make failed and dead deliveries due again (attempts start over)')
    .option('--status <status>', 'only failed or only dead ones', (value: string) => {
      if (value !== 'failed' && value !== 'dead') throw new InvalidArgumentError('failed or dead')
      return value
    })
    .option('--alert <n>', 'only deliveries of this alert number', positiveInteger)
    .option('--json', 'print JSON')
    .action(async (options: { status?: 'failed' | 'dead'; alert?: number; json?: boolean }, command: Command) => {
      const { config } = cliContext(command)
      const count = await withSubscriptions(config, (subscriptions) =>
        subscriptions.retry({
          now: new Date(),
          ...(options.status === undefined ? {} : { status: options.status }),
          ...(options.alert === undefined ? {} : { imageEventAlertId: options.alert }),
        }),
      )
      if (options.json === true) printJson({ retried: count })
      else process.stdout.write(`${count} deliveries due again: \`imgpipe deliver\` or a running \`imgpipe alert\` sends them\n`)
    })

  program
    .command('replay')
    .summary('deliver the alerts since a time again')
    .description('deliver again every alert recorded since a time, to one subscription or all (same delivery ids)')
    .requiredOption('--since <time>', 'ISO time, or a duration back from now (30m, 2h, 7d)', (value: string) => parseSince(value))
    .option('--subscription <subscription>', 'only this subscription (id or name)')
    .option('--json', 'print JSON')
    .action(async (options: { since: Date; subscription?: string; json?: boolean }, command: Command) => {
      const { config } = cliContext(command)
      const count = await withSubscriptions(config, async (subscriptions) => {
        let subscriptionId: number | undefined
        if (options.subscription !== undefined) {
          const found = await subscriptions.findSubscription(idOrName(options.subscription))
          if (found === null) throw new NotFoundError(`no subscription ${options.subscription}`)
          subscriptionId = found.subscriptionId
        }
        return subscriptions.replay({
          since: options.since,
          now: new Date(),
          wants: (subscription, facts) => matchesFilter(subscription.filter, facts),
          ...(subscriptionId === undefined ? {} : { subscriptionId }),
        })
      })
      if (options.json === true) printJson({ replayed: count, since: options.since.toISOString() })
      else process.stdout.write(`${count} deliveries queued again since ${options.since.toISOString()}\n`)
    })

  program
    .command('deliver')
    .summary('the delivery worker on its own')
    .description('the delivery worker on its own: send due alert deliveries until SIGINT/SIGTERM (--once: until none is left)')
    .option('--once', 'exit when nothing is pending (failed ones waiting for a retry count as pending, up to --max-wait)')
    .option('--max-wait <ms>', 'with --once: give up waiting after this long', positiveInteger, 60_000)
    .option('--json', 'print the summary as JSON')
    .action(async (options: { once?: boolean; maxWait: number; json?: boolean }, command: Command) => {
      const context = cliContext(command, { defaultLogLevel: 'info' })
      await withBackends(context, DELIVERY_BACKENDS, async (backends) => {
        const delivery = await startDelivery(context, backends)
        if (options.once === true) await delivery.close(options.maxWait)
        else {
          await new Promise<void>((resolve) => context.stop.addEventListener('abort', () => resolve(), { once: true }))
          await delivery.close()
        }
        const open = await delivery.subscriptions.countOpen()
        const summary = { ...delivery.worker.stats, open }
        if (options.json === true) printJson(summary)
        else process.stdout.write(`delivered ${summary.delivered}, retrying ${summary.retried}, dead ${summary.dead}, still open ${open}\n`)
        if (options.once === true && open > 0) throw new DeliveryFailedError(`${open} deliveries still open after ${options.maxWait} ms`)
      })
    })
}
