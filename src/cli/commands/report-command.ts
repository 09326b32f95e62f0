import type { Command } from 'commander'
import type { FakeRecord, ScienceLedger } from '../../core/ports/science-ledger.js'
import { assertValidStreamName } from '../../core/object-keys.js'
import { NotFoundError } from '../../core/errors.js'
import { cliContext, printJson } from '../cli-context.js'
import { formatTable, outputWidth } from '../table-format.js'
import { withBackends } from '../with-backends.js'

/**
 * `imgpipe report completeness`: how many of the fake point sources injected into every science image came back,
 * against the S/N they were expected at and their flux — RAPID's offline evaluation, on every run's own fakes — with
 * the S/N and flux at 50 % and 80 % recovery, and the detections per image.
 */

/** Expected-S/N bin edges: fine around the 5σ threshold where the curve rises, coarse above. */
const SNR_EDGES = [0, 3, 4, 5, 6, 7, 8, 10, 15, 20, 30, 50, Number.POSITIVE_INFINITY]
/** Flux bins per decade (log-spaced between the faintest and brightest fake). */
const FLUX_BINS_PER_DECADE = 4
/** Images whose run is read for the detections per image: a report, not an export. */
const MAX_RUNS_READ = 2000

interface RecoveryBin {
  lo: number
  hi: number
  injected: number
  recovered: number
  fraction: number | null
}

interface CompletenessReport {
  stream: string | null
  images: number
  fakes: number
  recovered: number
  snrBins: RecoveryBin[]
  fluxBins: RecoveryBin[]
  /** Expected S/N and flux (ADU) at which 50 % and 80 % are recovered, linearly interpolated between bins; null when never reached. */
  snr50: number | null
  snr80: number | null
  flux50: number | null
  flux80: number | null
  /** Detections that passed the cuts (fakes excluded) per image, over the runs read. */
  detectionsPerImage: { mean: number; max: number; runs: number } | null
}

function binned(fakes: readonly FakeRecord[], value: (fake: FakeRecord) => number, edges: readonly number[]): RecoveryBin[] {
  const bins = edges
    .slice(0, -1)
    .map((lo, index) => ({ lo, hi: edges[index + 1]!, injected: 0, recovered: 0, fraction: null as number | null }))
  for (const fake of fakes) {
    const v = value(fake)
    const bin = bins.find((candidate) => v >= candidate.lo && v < candidate.hi)
    if (bin === undefined) continue
    bin.injected += 1
    if (fake.recovered) bin.recovered += 1
  }
  for (const bin of bins) bin.fraction = bin.injected === 0 ? null : bin.recovered / bin.injected
  return bins.filter((bin) => bin.injected > 0)
}

/** Where the recovered fraction first reaches `target`, interpolated between bin centres (geometric for flux). */
function crossing(bins: readonly RecoveryBin[], target: number, geometric: boolean): number | null {
  const centre = (bin: RecoveryBin): number =>
    Number.isFinite(bin.hi) ? (geometric ? Math.sqrt(bin.lo * bin.hi) : (bin.lo + bin.hi) / 2) : bin.lo
  let previous: RecoveryBin | null = null
  for (const bin of bins) {
    if (bin.fraction !== null && bin.fraction >= target) {
      if (previous === null || previous.fraction === null) return centre(bin)
      const t = (target - previous.fraction) / (bin.fraction - previous.fraction)
      return centre(previous) + t * (centre(bin) - centre(previous))
    }
    previous = bin
  }
  return null
}

function fluxEdges(fakes: readonly FakeRecord[]): number[] {
  const fluxes = fakes.map((fake) => fake.flux).filter((flux) => flux > 0)
  if (fluxes.length === 0) return [0, Number.POSITIVE_INFINITY]
  const lo = Math.floor(Math.log10(Math.min(...fluxes)) * FLUX_BINS_PER_DECADE)
  const hi = Math.floor(Math.log10(Math.max(...fluxes)) * FLUX_BINS_PER_DECADE) + 1
  return Array.from({ length: hi - lo + 1 }, (_, index) => 10 ** ((lo + index) / FLUX_BINS_PER_DECADE))
}

async function completenessReport(ledger: ScienceLedger, stream: string | undefined): Promise<CompletenessReport> {
  const fakes = await ledger.fakeRecoveries(stream === undefined ? {} : { stream })
  const imageIds = [...new Set(fakes.map((fake) => fake.imageId))]
  const snrBins = binned(fakes, (fake) => fake.expectedSnr, SNR_EDGES)
  const fluxBins = binned(fakes, (fake) => fake.flux, fluxEdges(fakes))
  const counts: number[] = []
  for (const imageId of imageIds.slice(0, MAX_RUNS_READ)) {
    const run = await ledger.getDiffimRun(imageId)
    if (run !== null) counts.push(run.detections)
  }
  return {
    stream: stream ?? null,
    images: imageIds.length,
    fakes: fakes.length,
    recovered: fakes.filter((fake) => fake.recovered).length,
    snrBins,
    fluxBins,
    snr50: crossing(snrBins, 0.5, false),
    snr80: crossing(snrBins, 0.8, false),
    flux50: crossing(fluxBins, 0.5, true),
    flux80: crossing(fluxBins, 0.8, true),
    detectionsPerImage:
      counts.length === 0
        ? null
        : { mean: counts.reduce((sum, n) => sum + n, 0) / counts.length, max: Math.max(...counts), runs: counts.length },
  }
}

function figure(value: number | null, digits = 1): string {
  return value === null ? 'not reached' : value.toFixed(digits)
}

function binTable(title: string, bins: readonly RecoveryBin[], digits: number): string[] {
  const range = (bin: RecoveryBin): string =>
    Number.isFinite(bin.hi) ? `${bin.lo.toFixed(digits)}–${bin.hi.toFixed(digits)}` : `≥ ${bin.lo.toFixed(digits)}`
  const table = formatTable(
    [
      { header: title },
      { header: 'injected', align: 'right' },
      { header: 'recovered', align: 'right' },
      { header: 'fraction', align: 'right' },
    ],
    bins.map((bin) => [
      range(bin),
      String(bin.injected),
      String(bin.recovered),
      bin.fraction === null ? '' : `${(100 * bin.fraction).toFixed(0)} %`,
    ]),
    { maxWidth: outputWidth() },
  )
  return table.lines
}

export function registerReportCommand(program: Command): void {
  const report = program.command('report').summary('reports on what the pipeline measured').description('reports: completeness')
  report
    .command('completeness')
    .description('recovered fraction of the injected fakes per expected S/N and per flux, and detections per image')
    .option('--stream <name>', 'only this stream')
    .option('--json', 'print JSON')
    .action(async (options: { stream?: string; json?: boolean }, command: Command) => {
      if (options.stream !== undefined) assertValidStreamName(options.stream)
      const context = cliContext(command)
      const result = await withBackends(context, { catalog: 'open' }, ({ catalog }) =>
        completenessReport(catalog.scienceLedger(), options.stream),
      )
      if (result.fakes === 0)
        throw new NotFoundError(
          `no fakes recorded${options.stream === undefined ? '' : ` in stream ${options.stream}`}: no difference imaging has run`,
        )
      if (options.json === true) return printJson(result)
      const per = result.detectionsPerImage
      const lines = [
        `${result.recovered} of ${result.fakes} fakes recovered in ${result.images} images`,
        `50 % recovered at S/N ${figure(result.snr50)} (flux ${figure(result.flux50, 0)} ADU); 80 % at S/N ${figure(result.snr80)} (flux ${figure(result.flux80, 0)} ADU)`,
        per === null ? 'no runs' : `detections per image: ${per.mean.toFixed(2)} mean, ${per.max} at most (${per.runs} runs)`,
        '',
        ...binTable('expected S/N', result.snrBins, 0),
        '',
        ...binTable('flux ADU', result.fluxBins, 0),
      ]
      process.stdout.write(lines.map((line) => `${line}\n`).join(''))
    })
}
