/**
 * `npm run bench:avro`: Avro alert packet throughput on one core (the calling thread, no workers), one JSON line
 * per measurement: encode (packet → Avro body + Confluent frame) and decode (frame → packet) of ~60 KB packets like
 * ZTF's: three 63×63 float32 FITS stamps (20,160 bytes each, not gzipped), the detection, BENCH_PREVIOUS (default 10)
 * earlier detections and the object, 64-bit ids as bigint. Each phase runs BENCH_SECONDS (default 3) after a
 * warm-up, over 64 distinct packets in turn.
 */
import { performance } from 'node:perf_hooks'
import { AlertCodec } from '../src/alerts/avro/alert-codec.js'
import type { AlertPacket, DiaSource } from '../src/alerts/avro/alert-packet.js'
import { frameConfluent, unframeConfluent } from '../src/alerts/avro/confluent-wire.js'

const seconds = Number(process.env['BENCH_SECONDS'] ?? 3)
const previous = Number(process.env['BENCH_PREVIOUS'] ?? 10)
const STAMP_PIXELS = 63

function stamp(seed: number): Buffer {
  const card = (key: string, value: string) => `${key.padEnd(8)}= ${value.padStart(20)}`.padEnd(80)
  const header = [
    card('SIMPLE', 'T'),
    card('BITPIX', '-32'),
    card('NAXIS', '2'),
    card('NAXIS1', String(STAMP_PIXELS)),
    card('NAXIS2', String(STAMP_PIXELS)),
    'END'.padEnd(80),
  ].join('')
  const data = Buffer.alloc(Math.ceil((STAMP_PIXELS * STAMP_PIXELS * 4) / 2880) * 2880)
  for (let i = 0; i < STAMP_PIXELS * STAMP_PIXELS; i++) data.writeFloatBE(Math.sin(seed + i) * 100, i * 4)
  return Buffer.concat([Buffer.from(header.padEnd(2880), 'ascii'), data])
}

function source(id: bigint, n: number): DiaSource {
  return {
    diaSourceId: id,
    diaObjectId: 2n ** 60n + BigInt(n),
    imageId: 2n ** 53n + BigInt(n),
    midpointMjdTai: 61_000.5 + n,
    ra: 150 + n * 1e-6,
    raErr: 1e-5,
    dec: -30 - n * 1e-6,
    decErr: 1e-5,
    x: 1000.5,
    y: 200.25,
    psfFlux: 1234.5 + n,
    psfFluxErr: 12.5,
    apFlux: 1200,
    apFluxErr: 15,
    snr: 42,
    fwhm: 3.2,
    elongation: 1.05,
    realBogus: 0.9,
    isNegative: false,
    eventType: 'transient',
    band: 'r',
  }
}

function packet(n: number): AlertPacket {
  const id = 2n ** 62n + BigInt(n) * 1000n
  return {
    alertId: id,
    imageId: 2n ** 53n + BigInt(n),
    eventId: 2n ** 54n + BigInt(n),
    stream: 'bench',
    diaSource: source(id, n),
    prvDiaSources: Array.from({ length: previous }, (_, i) => source(id - BigInt(i + 1), n)),
    diaObject: {
      diaObjectId: 2n ** 60n + BigInt(n),
      ra: 150,
      raErr: 1e-5,
      dec: -30,
      decErr: 1e-5,
      nDiaSources: previous + 1,
      firstDiaSourceMjdTai: 61_000.5,
      lastDiaSourceMjdTai: 61_000.5 + previous,
      fluxStats: { r: { psfFluxMean: 1234.5, psfFluxMeanErr: 3, psfFluxSigma: 20, psfFluxNdata: previous + 1 } },
    },
    cutoutScience: stamp(n),
    cutoutTemplate: stamp(n + 1),
    cutoutDifference: stamp(n + 2),
  }
}

function measure(name: string, bytesPerOp: number, op: (i: number) => void): void {
  const warmUntil = performance.now() + 500
  for (let i = 0; performance.now() < warmUntil; i++) op(i)
  let count = 0
  const started = performance.now()
  const until = started + seconds * 1000
  // Checking the clock every 64 operations keeps its cost out of the figure.
  while (performance.now() < until) for (let k = 0; k < 64; k++) op(count++)
  const elapsed = (performance.now() - started) / 1000
  console.log(
    JSON.stringify({
      bench: 'avro',
      phase: name,
      packets: count,
      seconds: Math.round(elapsed * 1000) / 1000,
      packetsPerSecond: Math.round(count / elapsed),
      megabytesPerSecond: Math.round(((count * bytesPerOp) / elapsed / 1e6) * 10) / 10,
      packetBytes: bytesPerOp,
      previousDetections: previous,
    }),
  )
}

const codec = await AlertCodec.load('1.0')
const packets = Array.from({ length: 64 }, (_, n) => packet(n))
const framed = packets.map((p) => frameConfluent(1, codec.encode(p)))
const bytes = framed.reduce((sum, f) => sum + f.length, 0) / framed.length
let sink = 0
measure('encode', bytes, (i) => {
  sink += codec.encodeFramed(1, packets[i % 64]!).length
})
measure('decode', bytes, (i) => {
  sink += codec.decode(unframeConfluent(framed[i % 64]!).body).prvDiaSources!.length
})
if (sink < 0) console.log(sink)
