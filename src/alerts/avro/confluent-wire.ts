/**
 * The Confluent wire format of Kafka values that the community's alert brokers read: byte 0 is the magic 0, bytes
 * 1-4 the schema registry id (big-endian, unsigned), then the Avro binary body (no container header).
 */
import { MessageInvalidError } from '../../core/errors.js'

export const CONFLUENT_MAGIC = 0
export const CONFLUENT_HEADER_BYTES = 5

export interface ConfluentFrame {
  schemaId: number
  /** A view into the framed buffer, not a copy. */
  body: Buffer
}

/** Writes magic 0 and the schema id into the first 5 bytes of `buffer` (which the Avro body follows). */
export function writeConfluentHeader(buffer: Buffer, schemaId: number): void {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffffffff) {
    throw new MessageInvalidError(`schema id ${schemaId} does not fit the 4-byte field of the Confluent wire format`)
  }
  buffer[0] = CONFLUENT_MAGIC
  buffer.writeUInt32BE(schemaId, 1)
}

/** Prefixes an Avro body with the magic byte and the schema id. */
export function frameConfluent(schemaId: number, body: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(CONFLUENT_HEADER_BYTES + body.length)
  writeConfluentHeader(framed, schemaId)
  framed.set(body, CONFLUENT_HEADER_BYTES)
  return framed
}

/** Splits a framed value; MessageInvalidError (never retried) on a short buffer or another magic byte. */
export function unframeConfluent(value: Uint8Array): ConfluentFrame {
  if (value.length < CONFLUENT_HEADER_BYTES) {
    throw new MessageInvalidError(`Confluent-framed value too short: ${value.length} bytes, the header alone is ${CONFLUENT_HEADER_BYTES}`)
  }
  if (value[0] !== CONFLUENT_MAGIC) {
    throw new MessageInvalidError(`not a Confluent-framed value: magic byte is 0x${value[0]!.toString(16).padStart(2, '0')}, expected 0x00`)
  }
  const buffer = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length)
  return { schemaId: buffer.readUInt32BE(1), body: buffer.subarray(CONFLUENT_HEADER_BYTES) }
}
