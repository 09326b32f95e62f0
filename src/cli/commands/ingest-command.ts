import type { Command } from 'commander'
import { describeError } from '../../core/errors.js'
import { assertValidStreamName } from '../../core/object-keys.js'
import { fileSource, listImageFiles } from '../../stages/receive/file-source.js'
import { cliContext, printJson } from '../cli-context.js'
import { withBackends } from '../with-backends.js'
import { PIPELINE_BACKENDS, printSummary, runWithProgress } from './pipeline-commands.js'

interface IngestOptions {
  stream: string
  recursive?: boolean
  json?: boolean
}

/** Exit code when some files were bad but the good ones went through: scripts can tell it from success. */
export const PARTIAL_FAILURE_EXIT_CODE = 3

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description(
      'receive real image files (JPEG, PNG, TIFF, WebP, GIF, AVIF) into a stream; bad files are recorded as failed and reported (on the in-process bus, also analyses and alerts them)',
    )
    .argument('<paths...>', 'files and directories (directory entries in name order)')
    .option('--stream <name>', 'stream name', 'files')
    .option('-r, --recursive', 'descend into sub-directories')
    .option('--json', 'print the result as JSON')
    .action(async (paths: string[], options: IngestOptions, command: Command) => {
      assertValidStreamName(options.stream)
      const context = cliContext(command)
      const { config } = context
      const files = await listImageFiles(paths, options.recursive === true)
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
            }
          },
        )
        if (options.json === true) {
          printJson({ files: files.length, ...report, rejected })
        } else {
          for (const bad of rejected) process.stderr.write(`imgpipe: rejected ${bad.file}: ${bad.reason} [${bad.code}]\n`)
          printSummary(context, report, false)
        }
        if (rejected.length > 0) process.exitCode = PARTIAL_FAILURE_EXIT_CODE
      })
    })
}
