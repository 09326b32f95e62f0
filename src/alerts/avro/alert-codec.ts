/**
 * Avro encoding of alert packets with avsc. Pure: no adapter imports; the schema files are read from the
 * package's `schemas/avro/` (shipped in the npm package, see package.json `files`).
 *
 * avsc represents Avro `long` as a JS number by default and refuses values above 2^53; alert, source and object
 * ids are 64-bit, so every `long` here is a `bigint` (bigint-long.ts, registered under the name `long` so that
 * every long in the schema uses it).
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import avro from 'avsc'
import type { Schema, Type, Resolver } from 'avsc'
import { InternalError, MessageInvalidError } from '../../core/errors.js'
import type { AlertPacket } from './alert-packet.js'
import { bigintLongType } from './bigint-long.js'
import { CONFLUENT_HEADER_BYTES, writeConfluentHeader } from './confluent-wire.js'

/** The alert schema versions this release ships: `<major>.<minor>`, the folder under schemas/avro/. */
export const ALERT_SCHEMA_VERSIONS = ['1.0', '1.1'] as const
export type AlertSchemaVersion = (typeof ALERT_SCHEMA_VERSIONS)[number]
/** The version imgpipe writes. */
export const CURRENT_ALERT_SCHEMA_VERSION: AlertSchemaVersion = '1.0'

/** Encoded packets are carved out of slabs of this size (about 16 packets with stamps). */
const SLAB_BYTES = 1024 * 1024

/** An avsc type for a schema, with bigint longs. */
export function avroType(schema: Schema): Type {
  return avro.Type.forSchema(schema, { registry: { long: bigintLongType }, wrapUnions: 'auto' })
}

let schemaRoot: string | undefined

/**
 * The package's schemas/avro/: three folders up from this module in src/ and dist/, four from the benchmarks'
 * build (.bench-build/src/...), so the nearest ancestor that has it wins.
 */
function avroSchemaRoot(): string {
  if (schemaRoot !== undefined) return schemaRoot
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let up = 0; up < 6; up++) {
    const candidate = path.join(dir, 'schemas', 'avro')
    if (existsSync(path.join(candidate, CURRENT_ALERT_SCHEMA_VERSION))) return (schemaRoot = candidate)
    dir = path.dirname(dir)
  }
  throw new InternalError(`no schemas/avro/ folder above ${fileURLToPath(import.meta.url)}: the package is incomplete`)
}

/** Path of a shipped schema file (for tools and tests that read it themselves). */
export function alertSchemaPath(version: AlertSchemaVersion): string {
  return path.join(avroSchemaRoot(), version, 'imgpipe.alert.v1.alert.avsc')
}

/** Reads a shipped alert schema as parsed JSON. */
export async function loadAlertSchema(version: AlertSchemaVersion = CURRENT_ALERT_SCHEMA_VERSION): Promise<Schema> {
  return JSON.parse(await readFile(alertSchemaPath(version), 'utf8')) as Schema
}

/** Encodes and decodes packets of one schema; `readerFor` reads packets written with another 1.x schema. */
export class AlertCodec {
  readonly type: Type
  /** Canonical JSON text of the schema: what is registered in the schema registry. */
  readonly schemaText: string
  readonly #resolvers = new Map<string, { writer: Type; resolver: Resolver }>()
  #slab = Buffer.allocUnsafe(0)
  #slabUsed = 0
  #lastSize = 0

  constructor(readonly schema: Schema) {
    this.type = avroType(schema)
    this.schemaText = JSON.stringify(schema)
  }

  static async load(version: AlertSchemaVersion = CURRENT_ALERT_SCHEMA_VERSION): Promise<AlertCodec> {
    return new AlertCodec(await loadAlertSchema(version))
  }

  /** The Avro binary body (no container header, no framing). Throws MessageInvalidError naming the bad field. */
  encode(packet: AlertPacket): Buffer {
    return this.#encode(packet, 0)
  }

  /** The body in the Confluent wire format (magic 0, 4-byte schema id), written with one copy. */
  encodeFramed(schemaId: number, packet: AlertPacket): Buffer {
    const framed = this.#encode(packet, CONFLUENT_HEADER_BYTES)
    writeConfluentHeader(framed, schemaId)
    return framed
  }

  /**
   * Encodes straight into a slab that the packets share (as Buffer.allocUnsafe's pool does for small buffers)
   * and returns a view of it: no copy. avsc's toBuffer() writes into a shared 1 KB buffer and, for anything
   * larger (every packet with stamps), writes the whole packet a second time into a new one. A packet kept
   * alive keeps its slab (1 MB) alive; packets on their way to Kafka are short-lived.
   */
  #encode(packet: AlertPacket, offset: number): Buffer {
    try {
      // Start a new slab rather than try a write that will probably not fit.
      if (this.#slab.length - this.#slabUsed < 2 * this.#lastSize + offset) this.#newSlab(0)
      let start = this.#slabUsed
      let end = this.type.encode(packet, this.#slab, start + offset)
      if (end < 0) {
        // encode() answers minus the bytes missing.
        this.#newSlab(this.#slab.length - end - start)
        start = 0
        end = this.type.encode(packet, this.#slab, offset)
      }
      this.#slabUsed = end
      this.#lastSize = end - start
      return this.#slab.subarray(start, end)
    } catch (error) {
      const paths: string[] = []
      this.type.isValid(packet, { errorHook: (path) => paths.push(path.join('.') || '(root)') })
      throw new MessageInvalidError(`alert packet does not fit the Avro schema (fields: ${paths.join(', ') || '?'})`, {
        cause: error,
      })
    }
  }

  #newSlab(atLeast: number): void {
    this.#slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, 2 * atLeast))
    this.#slabUsed = 0
  }

  /** Decodes a body written with this codec's schema. */
  decode(body: Buffer): AlertPacket {
    try {
      return this.type.fromBuffer(body) as AlertPacket
    } catch (error) {
      throw new MessageInvalidError('bytes are not an Avro alert packet of this schema', { cause: error })
    }
  }

  /**
   * Decodes a body written with `writerSchema` (another version of the same major) into this codec's shape:
   * Avro schema resolution — fields the reader lacks are skipped, fields the writer lacks take their defaults.
   */
  decodeFrom(body: Buffer, writerSchema: Schema | string): AlertPacket {
    const key = typeof writerSchema === 'string' ? writerSchema : JSON.stringify(writerSchema)
    let entry = this.#resolvers.get(key)
    if (entry === undefined) {
      // A handful of writer versions exist at a time; the bound only guards against a stream of junk schemas.
      if (this.#resolvers.size >= 32) this.#resolvers.delete(this.#resolvers.keys().next().value as string)
      const writer = avroType(typeof writerSchema === 'string' ? (JSON.parse(writerSchema) as Schema) : writerSchema)
      entry = { writer, resolver: this.type.createResolver(writer) }
      this.#resolvers.set(key, entry)
    }
    try {
      return this.type.fromBuffer(body, entry.resolver) as AlertPacket
    } catch (error) {
      throw new MessageInvalidError('bytes are not an Avro alert packet of the writer schema', { cause: error })
    }
  }
}
