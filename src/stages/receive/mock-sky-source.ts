import { writeFits } from '../../analysis/fits/fits-writer.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame, type MockSkyField, type MockSkyOptions, type TruthRow } from '../../analysis/sky/mock-sky.js'
import { imageFilename } from '../../core/object-keys.js'
import type { ImageSource } from './image-source.js'

/** Side of the mock sky's frames unless told otherwise: `imgpipe sky make`'s default. */
export const MOCK_SKY_SIZE = DEFAULT_MOCK_SKY.width

export interface MockSkySourceOptions {
  /** Stream names: stream i looks at field i of the mock sky (one field per stream, like one camera each). */
  streams: readonly string[]
  /** Frames per stream; the new source appears half-way (analysis/sky/mock-sky.ts). */
  count: number
  seed: number
  /** Width and height of the frames (default 1024). */
  size?: number
  /** Per stream: the first frame to produce (earlier ones already exist). */
  startAt?: (stream: string) => number
  /** Pause between frames, to mimic a telescope's cadence. */
  intervalMs?: number
  /** Receives the truth rows (new source, variable star, moving object) of each frame as it is rendered. */
  onTruth?: (rows: readonly TruthRow[]) => void
  signal?: AbortSignal
}

/**
 * The fields of `count` streams: `imgpipe sky make --fields n`'s (`field-a` at RA 150.1°, the next 2° further east,
 * so none overlap), hence the same seed gives the same pixels here and there.
 */
function mockSkyFields(count: number): MockSkyField[] {
  return Array.from({ length: count }, (_, index) => ({
    name: `field-${String.fromCharCode(97 + (index % 26))}${index >= 26 ? Math.floor(index / 26) : ''}`,
    ra: 150.1 + 2 * index,
    dec: 2.2,
  }))
}

/** The mock sky the source renders: the defaults with its streams' fields, frame count, size and seed. */
function mockSkyOptions(options: Pick<MockSkySourceOptions, 'streams' | 'count' | 'seed' | 'size'>): MockSkyOptions {
  const size = options.size ?? MOCK_SKY_SIZE
  return {
    ...DEFAULT_MOCK_SKY,
    seed: options.seed,
    fields: mockSkyFields(options.streams.length),
    frames: options.count,
    width: size,
    height: size,
  }
}

/**
 * `receive --mock sky`: FITS frames (float32, TAN-SIP WCS, observation keywords) of one mock-sky field per stream,
 * frame n of every stream, then n + 1, as the teddy-bear source interleaves its streams. The bytes are a function of
 * the seed, stream position and frame only (DATE is the frame's observation time, not the clock), so a resumed or
 * repeated run writes the same files. Frames are rendered one at a time: a long run holds one frame in memory.
 *
 * The frames are not marked `known`: the receive stage reads them like any FITS file, which fills in the
 * observation columns from their headers the way a real telescope's files would.
 */
export async function* mockSkySource(options: MockSkySourceOptions): ImageSource {
  const sky = mockSkyOptions(options)
  const startAt = new Map(options.streams.map((stream) => [stream, options.startAt?.(stream) ?? 1]))
  const first = Math.max(1, Math.min(...startAt.values()))
  for (let frame = first; frame <= options.count; frame++) {
    for (const [fieldIndex, stream] of options.streams.entries()) {
      if (options.signal?.aborted === true) return
      if (frame < (startAt.get(stream) ?? 1)) continue
      const rendered = renderMockSkyFrame(sky, fieldIndex, frame)
      options.onTruth?.(rendered.truth)
      const written = writeFits(rendered.image, rendered.cards, { now: observationDate(rendered.mjd) })
      const bytes = Buffer.from(written.buffer, written.byteOffset, written.length)
      yield { stream, imageNum: frame, filename: imageFilename(frame, 'fits'), bytes, byteSize: bytes.length }
      if (options.intervalMs !== undefined && options.intervalMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs))
      }
    }
  }
}

function observationDate(mjd: number): Date {
  return new Date(Math.round((mjd - 40_587) * 86_400_000))
}
