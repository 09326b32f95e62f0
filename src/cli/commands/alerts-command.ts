import type { Command } from 'commander'
import { readTopic, type TopicRecord } from '../../adapters/kafka/kafka-topic-reader.js'
import { AlertMessageDecoder, type DecodedAlertMessage } from '../../alerts/alert-message-decoder.js'
import type { AlertPacket, DiaSource } from '../../alerts/avro/alert-packet.js'
import { formatPercent } from '../../core/alert-text.js'
import { ConfigError, describeError, toImgpipeError } from '../../core/errors.js'
import { cliContext, positiveInteger } from '../cli-context.js'
import { schemaRegistryOf } from '../delivery-setup.js'
import { safeText } from '../table-format.js'
import { PARTIAL_FAILURE_EXIT_CODE } from './ingest-command.js'

/**
 * `imgpipe alerts tail TOPIC`: an alert topic as a person reads it, one line per alert, whichever format the
 * producer used (Avro packets through the schema registry, or imgpipe's JSON messages); `--json` gives one JSON
 * object per message for scripts, 64-bit ids as strings and stamps as their byte sizes.
 */

export interface TailOptions {
  fromBeginning?: boolean
  count?: number
  json?: boolean
}

function kilobytes(bytes: Buffer | null): string {
  return bytes === null ? '-' : `${(bytes.length / 1024).toFixed(1)} kB`
}

function signed(value: number, digits: number): string {
  return `${value < 0 ? '-' : '+'}${Math.abs(value).toFixed(digits)}`
}

function detection(source: DiaSource): string {
  const flux = `${source.psfFlux.toFixed(1)}±${source.psfFluxErr.toFixed(1)}`
  return `RA ${source.ra.toFixed(6)} Dec ${signed(source.dec, 6)}  ${source.band} flux ${flux} S/N ${source.snr.toFixed(1)}`
}

function packetLine(packet: AlertPacket): string {
  const object =
    packet.diaObject === null ? 'new object' : `object ${packet.diaObject.diaObjectId} (${packet.diaObject.nDiaSources} detections)`
  const earlier = packet.prvDiaSources?.length ?? 0
  const stamps = [packet.cutoutScience, packet.cutoutTemplate, packet.cutoutDifference].map(kilobytes).join('/')
  return [
    `alert ${packet.alertId}`,
    `stream ${safeText(packet.stream)}`,
    safeText(packet.diaSource.eventType),
    object,
    detection(packet.diaSource),
    `${earlier} earlier`,
    `stamps ${stamps}`,
  ].join('  ')
}

/** The lines a person sees for one message (a JSON message may carry several alerts). */
export function describeMessage(record: Pick<TopicRecord, 'timestamp'>, decoded: DecodedAlertMessage): string[] {
  const at = new Date(Number(record.timestamp)).toISOString()
  if (decoded.format === 'avro') return [`${at}  ${packetLine(decoded.packet)}`]
  return decoded.message.alerts.map(
    (alert) =>
      `${at}  alert ${alert.alertNum}  stream ${safeText(alert.stream)}  ${safeText(alert.eventType)}  image ${alert.imageNum ?? alert.imageId}` +
      `  changed ${formatPercent(alert.changedFraction)}  event ${alert.imageEventId}`,
  )
}

/** JSON for scripts: bigints as decimal strings (no precision lost), stamps as their sizes. */
export function messageJson(record: TopicRecord, decoded: DecodedAlertMessage): string {
  const base = { topic: record.topic, partition: record.partition, offset: String(record.offset), timestamp: Number(record.timestamp) }
  const body =
    decoded.format === 'avro'
      ? {
          format: 'avro',
          schemaId: decoded.schemaId,
          alert: {
            ...decoded.packet,
            cutoutScience: decoded.packet.cutoutScience?.length ?? null,
            cutoutTemplate: decoded.packet.cutoutTemplate?.length ?? null,
            cutoutDifference: decoded.packet.cutoutDifference?.length ?? null,
          },
        }
      : { format: 'json', message: decoded.message }
  return JSON.stringify({ ...base, ...body }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))
}

async function tail(topic: string, options: TailOptions, command: Command): Promise<void> {
  const { config, stop } = cliContext(command)
  if (config.broker.kind !== 'kafka') {
    throw new ConfigError(
      'alerts tail reads a Kafka topic: set IMGPIPE_BROKER_URL to kafka://host:port (the in-process bus has no topics to read)',
    )
  }
  const decoder = new AlertMessageDecoder(schemaRegistryOf(config))
  let read = 0
  let bad = 0
  for await (const record of readTopic(config.broker, {
    topic,
    from: options.fromBeginning === true ? 'beginning' : 'end',
    signal: stop,
  })) {
    read += 1
    try {
      const decoded = await decoder.decode(record.value ?? Buffer.alloc(0))
      process.stdout.write(options.json === true ? `${messageJson(record, decoded)}\n` : `${describeMessage(record, decoded).join('\n')}\n`)
    } catch (error) {
      const failure = toImgpipeError(error)
      // The registry being down is not the message's fault: stop rather than report every message as bad.
      if (failure.canRetry || failure instanceof ConfigError) throw failure
      bad += 1
      process.stderr.write(`imgpipe: ${topic} partition ${record.partition} offset ${record.offset}: ${describeError(failure)}\n`)
    }
    if (options.count !== undefined && read >= options.count) break
  }
  if (bad > 0) process.exitCode = PARTIAL_FAILURE_EXIT_CODE
}

export function registerAlertsCommand(program: Command): void {
  const alerts = program.command('alerts').description('read alert topics: tail')
  alerts
    .command('tail <topic>')
    .description('print the alerts on a Kafka alert topic as they arrive (Avro through the schema registry, or JSON)')
    .option('--from-beginning', 'start with the oldest message the topic holds, not the next one')
    .option('-n, --count <n>', 'stop after this many messages', positiveInteger)
    .option('--json', 'one JSON object per message (ids as strings, stamps as byte sizes)')
    .action(async (topic: string, options: TailOptions, command: Command) => tail(topic, options, command))
}
