import { DEFAULT_CONSUMER_OPTIONS } from '../core/consumer-options.js'
import { ClosedError, describeError, toImgpipeError } from '../core/errors.js'
import { secondsSince } from '../core/ports/metrics.js'
import type { MessageHandler, ReceivedMessage, Subscription } from '../core/ports/bus.js'
import { deadLetterTopic, retrying, type StageContext } from './stage-context.js'

/**
 * The worker loop's policy for one consumed message (what BullMQ's errors tell its workers):
 * - transient failures (`canRetry`) are retried with backoff until they pass or the stage shuts down;
 * - permanent failures the stage could not record against an image (bad JSON, unknown ids) are parked
 *   on `<topic>_dead_letter` with the reason and the message is committed: never lost, never retried forever;
 * - on shutdown the message in hand is left uncommitted, to be delivered again.
 */
export function messageWorker(context: StageContext, stage: string, handle: (message: ReceivedMessage) => Promise<void>): MessageHandler {
  return async (message) => {
    const started = process.hrtime.bigint()
    try {
      await retrying(context, `${stage} of ${message.topic}@${message.partition}:${message.offset}`, () => handle(message))
    } catch (error) {
      if (context.signal.aborted) throw new ClosedError(stage)
      const failure = toImgpipeError(error)
      if (failure.canRetry) throw failure
      context.logger.error(
        { err: failure, code: failure.code, topic: message.topic, offset: String(message.offset) },
        `${stage}: message parked on ${deadLetterTopic(message.topic)}: ${describeError(failure)}`,
      )
      const parked = JSON.stringify({
        topic: message.topic,
        partition: message.partition,
        offset: String(message.offset),
        key: message.key,
        value: message.value,
        error: { code: failure.code, message: describeError(failure) },
        parked_at: new Date().toISOString(),
      })
      await retrying(context, 'dead-letter publish', () =>
        context.bus.publish(deadLetterTopic(message.topic), [{ key: message.key, value: parked }]),
      )
      context.metrics?.increment('imgpipe_dead_letters_total', { topic: message.topic })
    } finally {
      context.metrics?.observe('imgpipe_handler_duration_seconds', secondsSince(started), { stage })
    }
  }
}

/**
 * Subscribes a stage's handler, under the worker policy above, and says so in the log. `wholeBatch`: the stage
 * handles every message of a batch at once (at least the configured concurrency), for a stage whose handlers wait on
 * I/O that it coalesces across them (the alert stage's catalog calls): more handlers in flight then cost no more
 * round trips, only fewer batches.
 */
export async function consumeTopic(
  context: StageContext,
  stage: string,
  source: { topic: string; group: string },
  handle: (message: ReceivedMessage) => Promise<void>,
  options: { wholeBatch?: boolean } = {},
): Promise<Subscription> {
  const consumer = context.consumer ?? DEFAULT_CONSUMER_OPTIONS
  const batchSize = consumer.batchSize
  const concurrency = options.wholeBatch === true ? Math.max(consumer.concurrency, batchSize) : consumer.concurrency
  const subscription = await context.bus.subscribe({ ...source, batchSize, concurrency, handler: messageWorker(context, stage, handle) })
  context.logger.info({ ...source, batchSize, concurrency }, `${stage}: consuming`)
  return subscription
}
