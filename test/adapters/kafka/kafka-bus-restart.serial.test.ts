/**
 * KafkaBus through a restart of the shared broker (`scripts/services.sh restart kafka`). A `.serial` test:
 * vitest runs these alone, after every other suite (see vitest.config.ts), so the outage hits nobody else.
 */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { KafkaBus } from '../../../src/adapters/kafka/kafka-bus.js'
import type { ReceivedMessage } from '../../../src/core/ports/bus.js'
import { Inbox, messagesFor } from '../../contracts/bus-contract.js'
import { deleteKafkaNames, kafkaTestBrokers } from '../../support/bus-backends.js'
import { uniqueName } from '../../support/integration.js'

const run = promisify(execFile)
const brokers = kafkaTestBrokers()
const ROOT = path.resolve(import.meta.dirname, '../../..')

describe.skipIf(brokers === null)('KafkaBus through a broker restart', () => {
  const prefix = uniqueName('imgpipe-test-')
  const name = (suffix: string): string => `${prefix}.${suffix}`
  afterAll(async () => {
    if (brokers !== null) await deleteKafkaNames(brokers, prefix)
  })

  it('survives a broker restart mid-run: nothing lost, duplicates only of uncommitted messages', async () => {
    // Its own bus, with a logger that keeps the warnings: a failed commit names its partition and offset.
    const logs: { msg?: string; partition?: number; offset?: string }[] = []
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line) as (typeof logs)[number]) })
    const restartBus = new KafkaBus({ brokers: brokers!, clientId: prefix, defaultPartitions: 2, logger })
    const topic = name('restart')
    await restartBus.ensureTopics([{ name: topic, partitions: 2 }])
    const keys = ['a', 'b', 'c', 'd']
    const before = messagesFor(keys, 25, 'before')
    const after = messagesFor(keys, 25, 'after', 25)
    const handled: ReceivedMessage[] = []
    const inbox = new Inbox()
    const subscription = await restartBus.subscribe({
      topic,
      group: name('restart-group'),
      handler: async (message) => {
        // Paced, so that the restart hits the subscription while it is working through `before`.
        if (message.value.includes('"before"')) await new Promise((resolve) => setTimeout(resolve, 25))
        handled.push(message)
        inbox.push(message)
      },
    })
    let ended = false
    const done = subscription.done.finally(() => {
      ended = true
    })
    await restartBus.publish(topic, before)
    await inbox.count(10)

    await run(path.join(ROOT, 'scripts/services.sh'), ['restart', 'kafka'], { cwd: ROOT, timeout: 300_000 })
    const handledDuringRestart = new Set(inbox.values()).size

    // Publishing right after the restart exercises the producer's reconnection (it retries with backoff).
    await restartBus.publish(topic, after)
    const expected = new Set([...before, ...after].map((message) => message.value))
    await inbox.until(() => new Set(inbox.values()).size >= expected.size)
    expect(new Set(inbox.values())).toEqual(expected)
    expect(ended).toBe(false)

    const deliveries = new Map<string, ReceivedMessage[]>()
    for (const message of handled) deliveries.set(message.value, [...(deliveries.get(message.value) ?? []), message])
    const duplicated = [...deliveries.values()].filter((copies) => copies.length > 1).map((copies) => copies[0]!)
    const failedCommits = new Set(
      logs.filter((entry) => entry.msg?.includes('commit failed') === true).map((entry) => `${entry.partition}@${entry.offset}`),
    )
    console.info(
      `broker restart: ${handledDuringRestart} messages handled when the broker was back, ${handled.length} deliveries ` +
        `of ${expected.size} messages, ${duplicated.length} redelivered, ${failedCommits.size} failed commits; warnings:\n` +
        logs.map((entry) => `  ${JSON.stringify(entry)}`).join('\n'),
    )
    for (const message of duplicated) expect(failedCommits).toContain(`${message.partition}@${message.offset}`)
    for (const key of keys) {
      const indexes = handled
        .filter((message) => message.key === key)
        .map((message) => (JSON.parse(message.value) as { index: number }).index)
      const firsts = indexes.filter((index, position) => indexes.indexOf(index) === position)
      expect(firsts, `first deliveries of key ${key} in order`).toEqual([...firsts].sort((a, b) => a - b))
    }

    // Still alive: a message published now is handled by the same subscription.
    await restartBus.publish(topic, [{ key: 'a', value: 'after-check' }])
    await inbox.until(() => inbox.values().includes('after-check'))
    await restartBus.close()
    await done
  }, 300_000)
})
