import { afterAll, describe, expect, it } from 'vitest'
import { AlertCodec, alertSchemaPath } from '../../src/alerts/avro/alert-codec.js'
import { frameConfluent, unframeConfluent } from '../../src/alerts/avro/confluent-wire.js'
import { SchemaRegistryClient } from '../../src/alerts/avro/schema-registry-client.js'
import { isImgpipeError } from '../../src/core/errors.js'
import { serviceUrl, TEST_ENV, uniqueName } from '../support/integration.js'
import { hasPythonModule, pythonJson } from '../support/python-oracle.js'
import { samplePacket } from './alert-fixtures.js'
import { PY_PRELUDE, toOracleJson } from './python-avro.js'

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('schema registry client (no server)', () => {
  it('keeps at most cacheSize schemas by id, dropping the least recently used', async () => {
    const asked: string[] = []
    const fakeFetch = (async (input: string | URL | Request) => {
      const url = String(input)
      asked.push(url.slice(url.lastIndexOf('/') + 1))
      return new Response(JSON.stringify({ schema: `"schema-${asked.length}"` }), { status: 200 })
    }) as typeof fetch
    const client = new SchemaRegistryClient({ url: 'http://registry.invalid/apis/ccompat/v7/', cacheSize: 2, fetch: fakeFetch })
    await client.getSchema(1)
    await client.getSchema(2)
    await client.getSchema(1) // cached; now 2 is the least recently used
    await client.getSchema(3) // evicts 2
    await client.getSchema(1) // still cached
    await client.getSchema(2) // fetched again
    expect(asked).toEqual(['1', '2', '3', '2'])
  })

  it('sends user:password from the URL as Basic auth, not in the address', async () => {
    let seen: { url: string; auth: string | null } | undefined
    const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      seen = { url: String(input), auth: new Headers(init?.headers).get('authorization') }
      return new Response('["a"]', { status: 200 })
    }) as typeof fetch
    await new SchemaRegistryClient({ url: 'https://u%40x:p%3Aw@registry.invalid/ccompat', fetch: fakeFetch }).listSubjects()
    expect(seen).toEqual({
      url: 'https://registry.invalid/ccompat/subjects',
      auth: `Basic ${Buffer.from('u@x:p:w').toString('base64')}`,
    })
  })

  it('reports an unreachable registry as retryable and a server error as retryable, a 4xx as not', async () => {
    const down = new SchemaRegistryClient({ url: 'http://127.0.0.1:1/apis/ccompat/v7', timeoutMs: 2000 })
    const unreachable = await caught(down.getSchema(1))
    expect(isImgpipeError(unreachable, 'IMGPIPE_BUS_UNAVAILABLE')).toBe(true)
    expect((unreachable as { canRetry: boolean }).canRetry).toBe(true)

    const answering = (status: number) =>
      new SchemaRegistryClient({
        url: 'http://registry.invalid',
        fetch: (async () => new Response(JSON.stringify({ error_code: status * 100 + 1, message: 'told so' }), { status })) as typeof fetch,
      })
    const serverError = await caught(answering(503).register('s', '"int"'))
    expect(isImgpipeError(serverError, 'IMGPIPE_BUS_UNAVAILABLE')).toBe(true)
    const conflict = await caught(answering(409).register('s', '"int"'))
    expect(isImgpipeError(conflict, 'IMGPIPE_INTERNAL')).toBe(true)
    expect((conflict as Error).message).toContain('409 (error 40901): told so')
  })
})

const registryUrl = serviceUrl(TEST_ENV.schemaRegistryUrl, 'schema registry')

describe.runIf(registryUrl !== null)('schema registry client against the running registry', () => {
  const subjects: string[] = []
  const client = new SchemaRegistryClient({ url: registryUrl ?? 'http://unused.invalid' })

  afterAll(async () => {
    for (const subject of subjects) await client.deleteSubject(subject, { permanent: true })
    const left = await client.listSubjects()
    expect(left.filter((subject) => subjects.includes(subject))).toEqual([])
  })

  it('registers the alert schema, gives the same id again, and serves the schema by id', async () => {
    const subject = uniqueName('imgpipe-test-alerts-') + '-value'
    subjects.push(subject)
    const codec = await AlertCodec.load('1.0')
    const id = await client.register(subject, codec.schemaText)
    expect(Number.isInteger(id) && id >= 0).toBe(true)
    // A fresh client has no cache: the registry itself must answer with the same id and text.
    const fresh = new SchemaRegistryClient({ url: registryUrl! })
    expect(await fresh.register(subject, codec.schemaText)).toBe(id)
    expect(JSON.parse(await fresh.getSchema(id))).toEqual(codec.schema)
    expect(await fresh.listSubjects()).toContain(subject)
  })

  it('enforces FORWARD_TRANSITIVE: 1.1 (an optional field added) registers, a schema without a field does not', async () => {
    const subject = uniqueName('imgpipe-test-alerts-') + '-value'
    subjects.push(subject)
    const v10 = await AlertCodec.load('1.0')
    const v11 = await AlertCodec.load('1.1')
    const first = await client.register(subject, v10.schemaText)
    await client.setCompatibility(subject, 'FORWARD_TRANSITIVE')
    const second = await client.register(subject, v11.schemaText)
    expect(second).not.toBe(first)
    // Dropping `stream` (no default in 1.0) would leave 1.0 readers unable to read new packets.
    const record = v10.schema as { fields: { name: string }[] }
    const broken = { ...record, fields: record.fields.filter((field) => field.name !== 'stream') }
    const refused = await caught(client.register(subject, JSON.stringify(broken)))
    expect(isImgpipeError(refused, 'IMGPIPE_INTERNAL')).toBe(true)
    expect((refused as Error).message).toMatch(/ 409 /)
  })

  it('answers NotFoundError for an id the registry never gave', async () => {
    const missing = await caught(client.getSchema(2_000_000_000))
    expect(isImgpipeError(missing, 'IMGPIPE_NOT_FOUND')).toBe(true)
  })

  it.runIf(hasPythonModule('avro', 'python3-avro'))(
    'frames a packet so that Python reads the id, fetches the schema over HTTP and decodes every field',
    async () => {
      const subject = uniqueName('imgpipe-test-alerts-') + '-value'
      subjects.push(subject)
      const codec = await AlertCodec.load('1.0')
      const id = await client.register(subject, codec.schemaText)
      const packet = samplePacket(2)
      const framed = frameConfluent(id, codec.encode(packet))
      expect(unframeConfluent(framed).schemaId).toBe(id)
      const read = await pythonJson<{ magic: number; id: number; packet: unknown }>(
        `${PY_PRELUDE}
import struct, urllib.request
job = json.load(sys.stdin)
value = base64.b64decode(job["value"])
magic, schema_id = struct.unpack(">bI", value[:5])
with urllib.request.urlopen(f'{job["registry"]}/schemas/ids/{schema_id}') as answer:
    writer = avro.schema.parse(json.load(answer)["schema"])
packet = decode(value[5:], writer, parse_file(job["reader"]))
print(json.dumps({"magic": magic, "id": schema_id, "packet": to_json(packet)}))`,
        { value: framed.toString('base64'), registry: registryUrl, reader: alertSchemaPath('1.0') },
      )
      expect(read.magic).toBe(0)
      expect(read.id).toBe(id)
      expect(read.packet).toEqual(toOracleJson(packet))
    },
  )
})
