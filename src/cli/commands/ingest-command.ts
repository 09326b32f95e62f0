import type { Command } from 'commander'
import { describeError } from '../../core/errors.js'
import { assertValidStreamName } from '../../core/object-keys.js'
import { fileSource, listImageFiles, SKIPPED_BY_DESIGN } from '../../stages/receive/file-source.js'
import { cliContext, printJson } from '../cli-context.js'
import { ingestLogger } from '../ingest-logger.js'
import { safeText } from '../terminal-text.js'
import { setDeliveryExitCode } from '../run-summary.js'
import { withBackends } from '../with-backends.js'
import { PIPELINE_BACKENDS, printSummary, runWithProgress, withHduFlag } from './pipeline-commands.js'

interface IngestOptions {
  stream: string
  recursive?: boolean
  strict?: boolean
  json?: boolean
  hdu?: string
}

/** Names listed in the one line about files that are not images; --json lists them all. */
const NAMED_NOT_IMAGES = 10

/** Exit code when some files were bad but the good ones went through: scripts can tell it from success. */
export const PARTIAL_FAILURE_EXIT_CODE = 3

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .summary('receive real image files into a stream')
    .description(
      'receive real image files (JPEG, PNG, TIFF, WebP, GIF, AVIF; FITS, plain, gzipped or tile-compressed) into a stream; files that are not images by content (notes.txt, a README) are skipped and named, damaged images are recorded as failed and reported (on the in-process bus, also analyses and alerts them)',
    )
    .argument('<paths...>', 'files and directories (directory entries in name order)')
    .option('--stream <name>', 'stream name', 'files')
    .option('-r, --recursive', 'descend into sub-directories')
    .option('--strict', 'record files that are not images by content as failed images too, instead of skipping them')
    .option('--hdu <name|n>', 'the HDU of FITS files to read, by EXTNAME or 0-based index (short for --fits-hdu, IMGPIPE_FITS_HDU)')
    .option('--json', 'print the result as JSON')
    .action(async (paths: string[], options: IngestOptions, command: Command) => {
      assertValidStreamName(options.stream)
      const base = cliContext(withHduFlag(command, options))
      const context = { ...base, logger: ingestLogger(base.logger, process.stderr.isTTY === true) }
      const { config } = context
      const { files, skipped } = await listImageFiles(paths, options.recursive === true, { skipNonImages: options.strict !== true })
      const inProcess = config.broker.kind === 'memory'
      const rejected: { file: string; code: string; reason: string }[] = []
      await withBackends(context, PIPELINE_BACKENDS, async (backends) => {
        const source = fileSource({ files, stream: options.stream, maxImageBytes: config.analysis.maxImageBytes })
        const report = await runWithProgress(
          context,
          backends,
          source,
          { analyze: inProcess, alert: inProcess },
          files.length,
          (outcome) => {
            if (outcome.kind === 'failed') {
              rejected.push({ file: outcome.image.imageFilename, code: outcome.error.code, reason: describeError(outcome.error) })
            } else if (outcome.kind === 'duplicate' && outcome.image.status === 'failed') {
              // The same bad file again: still rejected, with the reason recorded the first time.
              const code = outcome.image.errorCode ?? 'IMGPIPE_IMAGE_INVALID'
              rejected.push({ file: outcome.image.imageFilename, code, reason: `${outcome.image.errorMessage ?? code} (recorded earlier)` })
            }
          },
        )
        if (options.json === true) {
          printJson({ files: files.length, ...report, rejected, skipped })
        } else {
          const notImages = skipped.filter((entry) => entry.reason === 'not an image')
          if (notImages.length > 0) process.stderr.write(`${describeNotImages(notImages.map((entry) => entry.path))}\n`)
          for (const entry of skipped) {
            if (entry.reason === 'not an image') continue
            const detail = entry.detail === undefined ? '' : ` (${entry.detail})`
            process.stderr.write(`imgpipe: skipped ${safeText(entry.path)}: ${entry.reason}${safeText(detail)}\n`)
          }
          for (const bad of rejected) {
            process.stderr.write(`imgpipe: rejected ${safeText(bad.file)}: ${safeText(bad.reason)} [${bad.code}]\n`)
          }
          if (report.processed.failed > 0) {
            process.stderr.write(
              `imgpipe: ${report.processed.failed} image(s) failed analysis: see \`imgpipe status\`, retry with \`imgpipe reanalyze --failed\`\n`,
            )
          }
          printSummary(context, report, false)
        }
        const unusable = skipped.some((entry) => !SKIPPED_BY_DESIGN.has(entry.reason))
        if (rejected.length > 0 || unusable || report.processed.failed > 0) process.exitCode = PARTIAL_FAILURE_EXIT_CODE
        setDeliveryExitCode(report)
      })
    })
}

/** One line for every file skipped as not an image: how many, their names (the first few), and how to keep them. */
export function describeNotImages(paths: readonly string[]): string {
  const shown = paths.slice(0, NAMED_NOT_IMAGES).map(safeText).join(', ')
  const more = paths.length > NAMED_NOT_IMAGES ? ` and ${paths.length - NAMED_NOT_IMAGES} more (--json lists them)` : ''
  const files = paths.length === 1 ? '1 file that is not an image' : `${paths.length} files that are not images`
  return `imgpipe: skipped ${files} by content: ${shown}${more} (--strict records ${paths.length === 1 ? 'it' : 'them'} as failed)`
}
