import { describe, expect, it } from 'vitest'
import { AlertCodec, alertSchemaPath } from '../../src/alerts/avro/alert-codec.js'
import { hasPythonModule, pythonJson } from '../support/python-oracle.js'
import { diaSource, samplePacket } from './alert-fixtures.js'
import { PY_PRELUDE, toOracleJson, toPythonInput } from './python-avro.js'

const paths = { v10: alertSchemaPath('1.0'), v11: alertSchemaPath('1.1') }

describe.runIf(hasPythonModule('avro', 'python3-avro'))("Apache avro (Python) reads and writes imgpipe's packets", () => {
  it('parses every shipped schema file with avro.schema.parse', async () => {
    const names = await pythonJson<string[]>(
      `${PY_PRELUDE}
paths = json.load(sys.stdin)
print(json.dumps([parse_file(p).fullname + ':' + ','.join(f.name for f in parse_file(p).fields) for p in paths]))`,
      [paths.v10, paths.v11],
    )
    expect(names[0]).toBe(
      'imgpipe.alert.v1.alert:alertId,imageId,eventId,stream,diaSource,prvDiaSources,diaObject,cutoutScience,cutoutTemplate,cutoutDifference',
    )
    expect(names[1]).toMatch(/^imgpipe\.alert\.v1\.alert:.*cutoutDifference,brokerNote$/)
  })

  it('decodes our bytes to every field, 64-bit ids and stamps exact', async () => {
    const codec = await AlertCodec.load('1.0')
    const packet = samplePacket(3, { gzipTemplate: true })
    const decoded = await pythonJson<unknown>(
      `${PY_PRELUDE}
job = json.load(sys.stdin)
print(json.dumps(to_json(decode(base64.b64decode(job["body"]), parse_file(job["schema"])))))`,
      { body: codec.encode(packet).toString('base64'), schema: paths.v10 },
    )
    expect(decoded).toEqual(toOracleJson(packet))
    expect((decoded as { alertId: string }).alertId).toBe('9223372036854775807')
  })

  it('encodes the same packet to the same bytes as we do, and we decode its bytes', async () => {
    const codec = await AlertCodec.load('1.0')
    const packet = samplePacket(2)
    const written = await pythonJson<{ body: string }>(
      `${PY_PRELUDE}
job = json.load(sys.stdin)
print(json.dumps({"body": base64.b64encode(encode(from_json(job["packet"]), parse_file(job["schema"]))).decode()}))`,
      { packet: toPythonInput(packet), schema: paths.v10 },
    )
    const body = Buffer.from(written.body, 'base64')
    expect(codec.decode(body)).toEqual(packet)
    expect(body.equals(codec.encode(packet))).toBe(true)
  })

  it('resolves a 1.1 packet with a 1.0 reader schema, and a 1.0 packet with a 1.1 reader', async () => {
    const v11 = await AlertCodec.load('1.1')
    const v10 = await AlertCodec.load('1.0')
    const packet = samplePacket(1)
    const newer = {
      ...packet,
      diaSource: { ...packet.diaSource, trailLength: Math.fround(7.5) },
      prvDiaSources: [{ ...diaSource(0), trailLength: null }],
      brokerNote: 'written with 1.1',
    }
    const read = await pythonJson<{ old: Record<string, unknown>; new: Record<string, unknown> }>(
      `${PY_PRELUDE}
job = json.load(sys.stdin)
v10, v11 = parse_file(job["v10"]), parse_file(job["v11"])
print(json.dumps({
  "old": to_json(decode(base64.b64decode(job["newer"]), v11, v10)),
  "new": to_json(decode(base64.b64decode(job["older"]), v10, v11)),
}))`,
      {
        v10: paths.v10,
        v11: paths.v11,
        newer: v11.encode(newer as never).toString('base64'),
        older: v10.encode(packet).toString('base64'),
      },
    )
    expect(read.old).toEqual(toOracleJson(packet))
    expect(read.new['brokerNote']).toBeNull()
    expect((read.new['diaSource'] as Record<string, unknown>)['trailLength']).toBeNull()
    expect(read.new['alertId']).toBe('9223372036854775807')
  })
})
