import type { MessageHandler, ReceivedMessage } from './ports/bus.js'

/** What handling one batch of consumed messages came to. */
export interface BatchOutcome {
  /** Per partition, the offset to commit: one past the last message of the unbroken run of handled ones. */
  commits: Map<number, bigint>
  /** The first handler failure, if any; messages after it on its partition stay uncommitted. */
  failure: { error: unknown } | null
}

/**
 * Handles a batch of messages (each partition's in ascending offset order) with at most `concurrency`
 * handlers in flight, and works out what may be committed. Shared by the bus adapters so that "commit once per
 * batch, never past a message that was not handled" is written once.
 *
 * With `concurrency` 1 the messages are handled one after the other in batch order. Above 1 they overlap, so
 * the messages of one partition may finish in any order; the commit still never passes a message that failed or
 * did not run. After a failure no new handler starts; those in flight finish.
 */
export async function handleBatch(
  messages: readonly ReceivedMessage[],
  concurrency: number,
  handler: MessageHandler,
): Promise<BatchOutcome> {
  const done = new Array<boolean>(messages.length).fill(false)
  let failure: { error: unknown } | null = null
  let next = 0
  const worker = async (): Promise<void> => {
    while (failure === null && next < messages.length) {
      const index = next
      next += 1
      try {
        await handler(messages[index]!)
        done[index] = true
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, messages.length)) }, worker))
  const commits = new Map<number, bigint>()
  const broken = new Set<number>()
  messages.forEach((message, index) => {
    if (broken.has(message.partition)) return
    if (done[index]) commits.set(message.partition, message.offset + 1n)
    else broken.add(message.partition)
  })
  return { commits, failure }
}
