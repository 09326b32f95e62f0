import type { Command } from 'commander'
import { assertValidStreamName } from '../../core/object-keys.js'
import type { ImageSource } from '../../stages/receive/image-source.js'
import { cliContext, positiveInteger, printJson } from '../cli-context.js'
import { PARTIAL_FAILURE_EXIT_CODE } from './ingest-command.js'
import { setDeliveryExitCode } from '../run-summary.js'
import { withBackends } from '../with-backends.js'
import { PIPELINE_BACKENDS, printSummary, runWithProgress } from './pipeline-commands.js'

interface ReanalyzeOptions {
  stream?: string
  failed?: boolean
  from?: number
  json?: boolean
}

/** No new images: the pipeline only republishes what the reset put back to `received`. */
async function* nothing(): ImageSource {}

/**
 * The way back from failures: sets the chosen images back to `received` and publishes them again. The
 * analyze stage is idempotent (an event or alert that exists is found, not duplicated), so running this
 * twice gives the same rows. On the in-process bus it analyses and alerts in this process, like `ingest`;
 * on Kafka the running `analyze` processes take the images.
 */
export function registerReanalyzeCommand(program: Command): void {
  program
    .command('reanalyze')
    .summary('analyse recorded images again')
    // One line: the Analysis and Science settings groups take the rest of 25 (after a fixed previous image, say).
    .description('set images back to received and republish them (no duplicate events or alerts)')
    .option('--stream <name>', 'only this stream')
    .option('--failed', 'only images whose analysis failed')
    .option('--from <n>', 'only images numbered n or later', positiveInteger)
    .option('--json', 'print the result as JSON')
    .action(async (options: ReanalyzeOptions, command: Command) => {
      if (options.stream !== undefined) assertValidStreamName(options.stream)
      const context = cliContext(command)
      const { config } = context
      const inProcess = config.broker.kind === 'memory'
      await withBackends(context, PIPELINE_BACKENDS, async (backends) => {
        const reset = await backends.catalog.resetForReanalysis({
          failedOnly: options.failed === true,
          ...(options.stream === undefined ? {} : { stream: options.stream }),
          ...(options.from === undefined ? {} : { fromImageNum: options.from }),
        })
        const report = await runWithProgress(context, backends, nothing(), { analyze: inProcess, alert: inProcess }, reset)
        if (options.json === true) printJson({ reset, ...report })
        else {
          process.stdout.write(`reanalyze: ${reset} image(s) set back to received and republished\n`)
          if (reset === 0 && options.failed === true && report.counts.imagesFailed > 0) {
            // Images that failed at receive are bytes that are not a readable image, which no analysis can fix.
            const failed = report.counts.imagesFailed
            const filtered = options.stream !== undefined || options.from !== undefined
            process.stdout.write(
              filtered
                ? `reanalyze: none matched; the catalog's ${failed} failed image(s) are listed by \`imgpipe status\` with what to do\n`
                : `reanalyze: the ${failed} failed image(s) failed at receive (not readable images): nothing to analyse again; ` +
                    '`imgpipe status` says what to do\n',
            )
          }
          printSummary(context, report, false)
        }
        if (report.processed.failed > 0) {
          if (options.json !== true)
            process.stderr.write(`imgpipe: ${report.processed.failed} image(s) failed analysis again: see \`imgpipe status\`\n`)
          process.exitCode = PARTIAL_FAILURE_EXIT_CODE
        }
        setDeliveryExitCode(report)
      })
    })
}
