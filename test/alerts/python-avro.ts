/**
 * Python snippets for the Avro oracle tests, run by Debian's /usr/bin/python3 with Apache's `avro` (what the
 * community brokers use). Values cross as JSON: integers beyond ±2^53 as decimal strings (JSON.parse would round
 * them), bytes as {"base64": ...}.
 */
import type { AlertPacket } from '../../src/alerts/avro/alert-packet.js'

/** Python helpers: to_json (Avro datum → JSON-safe), from_json (the form toPythonInput makes → datum). */
export const PY_PRELUDE = String.raw`
import base64, io, json, sys
import avro.io, avro.schema

def to_json(value):
    if isinstance(value, bool) or value is None or isinstance(value, (float, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 - 1 else str(value)
    if isinstance(value, (bytes, bytearray)):
        return {"base64": base64.b64encode(value).decode()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    raise TypeError(type(value))

def from_json(value):
    if isinstance(value, list):
        return [from_json(item) for item in value]
    if isinstance(value, dict):
        if set(value) == {"$long"}:
            return int(value["$long"])
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"])
        return {key: from_json(item) for key, item in value.items()}
    return value

def parse_file(path):
    with open(path) as f:
        return avro.schema.parse(f.read())

def decode(body, writer, reader=None):
    return avro.io.DatumReader(writer, reader or writer).read(avro.io.BinaryDecoder(io.BytesIO(body)))

def encode(datum, schema):
    out = io.BytesIO()
    avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(out))
    return out.getvalue()
`

/** What the oracles print for a packet: integers beyond ±2^53 as strings, bytes as {"base64": ...}. */
export function toOracleJson(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= -BigInt(Number.MAX_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString()
  }
  if (Buffer.isBuffer(value)) return { base64: value.toString('base64') }
  if (Array.isArray(value)) return value.map(toOracleJson)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toOracleJson(item)]))
  }
  return value
}

/** A packet as from_json reads it: bigints tagged {"$long"}, buffers {"$bytes"}. */
export function toPythonInput(packet: AlertPacket | Record<string, unknown>): unknown {
  const convert = (value: unknown): unknown => {
    if (typeof value === 'bigint') return { $long: value.toString() }
    if (Buffer.isBuffer(value)) return { $bytes: value.toString('base64') }
    if (Array.isArray(value)) return value.map(convert)
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, convert(item)]))
    }
    return value
  }
  return convert(packet)
}

/** What PY_CONSUMER prints per message. */
export interface ConsumedPacket {
  key: string
  partition: number
  offset: number
  schemaId: number
  packet: unknown
}

/** The broker's consumer: confluent_kafka.Consumer from the earliest offset, the registry over urllib. */
export const PY_CONSUMER = String.raw`${PY_PRELUDE}
import struct, time, urllib.request
from confluent_kafka import Consumer
job = json.load(sys.stdin)
reader = parse_file(job["reader"])
consumer = Consumer({
    "bootstrap.servers": job["brokers"],
    "group.id": job["group"],
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
})
consumer.subscribe([job["topic"]])
writers, received, deadline = {}, [], time.time() + 60
try:
    while len(received) < job["count"] and time.time() < deadline:
        message = consumer.poll(1.0)
        if message is None:
            continue
        if message.error():
            raise RuntimeError(str(message.error()))
        value = message.value()
        magic, schema_id = struct.unpack(">bI", value[:5])
        if magic != 0:
            raise ValueError(f"magic byte {magic}")
        if schema_id not in writers:
            with urllib.request.urlopen(f'{job["registry"]}/schemas/ids/{schema_id}') as answer:
                writers[schema_id] = avro.schema.parse(json.load(answer)["schema"])
        received.append({
            "key": message.key().decode(),
            "partition": message.partition(),
            "offset": message.offset(),
            "schemaId": schema_id,
            "packet": to_json(decode(value[5:], writers[schema_id], reader)),
        })
finally:
    consumer.close()
print(json.dumps(received))`
