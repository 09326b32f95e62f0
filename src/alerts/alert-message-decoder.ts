/**
 * What a message on an alert topic says, whichever of imgpipe's two formats it is in:
 * - an Avro alert packet in the Confluent wire format (byte 0, a 4-byte schema id, the Avro body), the format the
 *   community brokers read; the writer's schema comes from the schema registry by its id (cached by the client);
 * - imgpipe's JSON alert message (`schemas/alert-v1.json`, the kafka-topic channel's `--format json`).
 * Anything else is a MessageInvalidError naming what the first bytes are.
 */
import type { Schema, Type } from 'avsc'
import { ConfigError, MessageInvalidError } from '../core/errors.js'
import type { AlertPacket } from './avro/alert-packet.js'
import { avroType } from './avro/alert-codec.js'
import { CONFLUENT_MAGIC, unframeConfluent } from './avro/confluent-wire.js'
import type { SchemaRegistryClient } from './avro/schema-registry-client.js'

/** One alert of a JSON message (the fields a reader of the tail needs; the schema has more). */
export interface JsonAlertItem {
  alertNum: number
  imageEventId: number
  eventType: string
  stream: string
  imageNum: number | null
  imageId: number
  changedFraction: number | null
  createdAt: string
}

export interface JsonAlertMessage {
  schema: 'imgpipe.alert/1'
  deliveryId: string
  subscription: string
  alerts: JsonAlertItem[]
}

export type DecodedAlertMessage = { format: 'avro'; schemaId: number; packet: AlertPacket } | { format: 'json'; message: JsonAlertMessage }

/** Most writer schemas kept as avsc types (one per schema id seen on the topic). */
const MAX_TYPES = 64

export class AlertMessageDecoder {
  readonly #types = new Map<number, Type>()

  /** Without a registry, Avro messages fail with a line saying which setting names one. */
  constructor(private readonly registry: SchemaRegistryClient | null) {}

  async decode(value: Uint8Array): Promise<DecodedAlertMessage> {
    if (value.length > 0 && value[0] === CONFLUENT_MAGIC) {
      const { schemaId, body } = unframeConfluent(value)
      const type = await this.#typeOf(schemaId)
      try {
        return { format: 'avro', schemaId, packet: type.fromBuffer(body) as AlertPacket }
      } catch (error) {
        throw new MessageInvalidError(`Avro body does not decode with schema ${schemaId}`, { cause: error })
      }
    }
    if (value.length > 0 && value[0] === 0x7b /* { */) {
      let parsed: unknown
      try {
        parsed = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.length).toString('utf8'))
      } catch (error) {
        throw new MessageInvalidError('message starts like JSON but does not parse', { cause: error })
      }
      if (isJsonAlertMessage(parsed)) return { format: 'json', message: parsed }
      throw new MessageInvalidError('JSON message is not an imgpipe alert (no "schema": "imgpipe.alert/1" with alerts)')
    }
    const head = value.length === 0 ? 'empty' : `first byte 0x${value[0]!.toString(16).padStart(2, '0')}`
    throw new MessageInvalidError(`not an alert: ${value.length} bytes, ${head} (expected Confluent-framed Avro or JSON)`)
  }

  async #typeOf(schemaId: number): Promise<Type> {
    const known = this.#types.get(schemaId)
    if (known !== undefined) return known
    if (this.registry === null) {
      throw new ConfigError(`an Avro alert (schema id ${schemaId}) needs a schema registry: set IMGPIPE_SCHEMA_REGISTRY_URL`)
    }
    const type = avroType(JSON.parse(await this.registry.getSchema(schemaId)) as Schema)
    if (this.#types.size >= MAX_TYPES) this.#types.delete(this.#types.keys().next().value!)
    this.#types.set(schemaId, type)
    return type
  }
}

function isJsonAlertMessage(value: unknown): value is JsonAlertMessage {
  if (typeof value !== 'object' || value === null) return false
  const message = value as Partial<JsonAlertMessage>
  return message.schema === 'imgpipe.alert/1' && Array.isArray(message.alerts)
}
