import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { InvalidArgumentError, type Command } from 'commander'
import { writeFits } from '../../analysis/fits/fits-writer.js'
import {
  DEFAULT_MOCK_SKY,
  mockSkyCatalogue,
  renderMockSkyFrame,
  truthCsv,
  type MockSkyField,
  type MockSkyOptions,
  type TruthRow,
} from '../../analysis/sky/mock-sky.js'
import { positiveInteger, printJson } from '../cli-context.js'
import { CountProgress } from '../count-progress.js'

interface SkyMakeOptions {
  fields: number
  frames: number
  size: number
  stars: number
  seed: number
  json?: boolean
}

/** Fields spread along the celestial equator's neighbourhood, 2° apart, so no two overlap. */
function fieldsOf(count: number): MockSkyField[] {
  return Array.from({ length: count }, (_, index) => ({
    name: `field-${String.fromCharCode(97 + (index % 26))}${index >= 26 ? Math.floor(index / 26) : ''}`,
    ra: 150.1 + 2 * index,
    dec: 2.2,
  }))
}

function integerAtMost(limit: number): (value: string) => number {
  return (value) => {
    const parsed = positiveInteger(value)
    if (parsed > limit) throw new InvalidArgumentError(`expected at most ${limit}`)
    return parsed
  }
}

/**
 * `imgpipe sky make DIR`: the mock sky as files — one FITS frame per field and epoch (float32, TAN-SIP WCS,
 * observation keywords), `truth.csv` (where each injected change is in each frame) and `catalogue.csv` (the static
 * stars). What tests, benchmarks and demos of the science path ingest; deterministic with `--seed`.
 */
export function registerSkyCommand(program: Command): void {
  const sky = program.command('sky').description('the mock sky: FITS frames of star fields with injected changes')
  sky
    .command('make <dir>')
    .description('write mock-sky FITS frames, truth.csv and catalogue.csv into <dir> (created if missing)')
    .option('--fields <n>', 'fields of sky', integerAtMost(26 * 10), 1)
    .option('--frames <n>', 'frames per field (a new source appears half-way)', integerAtMost(10_000), 10)
    .option('--size <px>', 'frame width and height', integerAtMost(8192), 1024)
    .option('--stars <n>', 'stars per field', integerAtMost(1_000_000), DEFAULT_MOCK_SKY.stars)
    .option('--seed <n>', 'random seed: the same seed writes the same files', positiveInteger, DEFAULT_MOCK_SKY.seed)
    .option('--json', 'print what was written as JSON')
    .action(async (dir: string, options: SkyMakeOptions) => {
      const sky: MockSkyOptions = {
        ...DEFAULT_MOCK_SKY,
        seed: options.seed,
        fields: fieldsOf(options.fields),
        frames: options.frames,
        width: options.size,
        height: options.size,
        stars: options.stars,
      }
      await mkdir(dir, { recursive: true })
      const total = sky.fields.length * sky.frames
      const progress = new CountProgress({ label: 'rendering', unit: 'frames', total })
      const truth: TruthRow[] = []
      const files: string[] = []
      try {
        for (let field = 0; field < sky.fields.length; field++) {
          for (let frame = 1; frame <= sky.frames; frame++) {
            const rendered = renderMockSkyFrame(sky, field, frame)
            const name = `${rendered.field}_${String(frame).padStart(4, '0')}.fits`
            await writeFile(path.join(dir, name), writeFits(rendered.image, rendered.cards))
            truth.push(...rendered.truth)
            files.push(name)
            progress.increment()
          }
        }
      } finally {
        progress.stop()
      }
      await writeFile(path.join(dir, 'truth.csv'), truthCsv(truth))
      await writeFile(path.join(dir, 'catalogue.csv'), truthCsv(mockSkyCatalogue(sky)))
      if (options.json === true) {
        printJson({ dir, frames: files.length, files, truth: 'truth.csv', catalogue: 'catalogue.csv', seed: sky.seed })
      } else {
        process.stdout.write(
          `sky: ${files.length} FITS frame(s) of ${sky.fields.length} field(s), ${sky.width}×${sky.height} px, in ${dir}; ` +
            `truth.csv and catalogue.csv beside them (seed ${sky.seed})\n`,
        )
      }
    })
}
