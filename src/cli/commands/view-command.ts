import { InvalidArgumentError, type Command } from 'commander'
import { objectLedgerDeps } from '../../analysis/association/ledger-deps.js'
import { UsageError } from '../../core/errors.js'
import { cliContext, positiveInteger } from '../cli-context.js'
import { MIN_VIEW_WIDTH } from '../viewer/alert-panel.js'
import { colourDepthOf, setColourDepth, type ColourDepth } from '../viewer/half-block-renderer.js'
import { runInteractiveViewer, showAlert, type ViewerBackends, type ViewOptions } from '../viewer/terminal-viewer.js'
import { withBackends } from '../with-backends.js'

interface ViewFlags {
  once?: boolean
  width?: number
  height?: number
  json?: boolean
  color: ColourDepth | 'auto'
}

const COLOUR_MODES: readonly string[] = ['auto', 'truecolor', '256', 'none']

function colourMode(value: string): ColourDepth | 'auto' {
  if (!COLOUR_MODES.includes(value)) throw new InvalidArgumentError(`expected one of ${COLOUR_MODES.join(', ')}`)
  return value as ColourDepth | 'auto'
}

/** Width used when neither `--width` nor the terminal says (a pipe, a file, CI). */
export const DEFAULT_WIDTH = 120
/** Picture rows used when neither `--height` nor the terminal says; only very tall images reach it. */
export const DEFAULT_MAX_ROWS = 100
/** Terminal rows kept free for the header (up to 3 lines), a blank line, the captions (1-2) and the prompts. */
const CHROME_ROWS = 8

/** `--width`, else the terminal's width, else {@link DEFAULT_WIDTH}. */
export function viewWidth(flag: number | undefined, columns: number | undefined): number {
  const width = flag ?? (columns !== undefined && columns > 0 ? columns : DEFAULT_WIDTH)
  if (width < MIN_VIEW_WIDTH) throw new UsageError(`--width must be at least ${MIN_VIEW_WIDTH} columns, got ${width}`)
  return width
}

/** `--height`, else what fits the terminal with room for the header and prompt, else {@link DEFAULT_MAX_ROWS}. */
export function viewMaxRows(flag: number | undefined, rows: number | undefined): number {
  if (flag !== undefined) return flag
  if (rows !== undefined && rows > 0) return Math.max(4, rows - CHROME_ROWS)
  return DEFAULT_MAX_ROWS
}

/**
 * `imgpipe view [number]`: the image event viewer of the original, for a terminal. Reads the catalog
 * and the object store directly; needs neither the broker nor the web server.
 */
export function registerViewCommand(program: Command): void {
  program
    .command('view')
    .summary('show an image event alert in the terminal: previous image, image and difference image')
    .description(
      'show an image event alert in the terminal: the previous image, the image and the difference image side by side ' +
        'in the colours the terminal has (24-bit, 256, or ASCII characters without colour for NO_COLOR, TERM=dumb and pipes); without --once on a terminal, asks for the next alert number until q',
    )
    .argument('[number]', 'image event alert number (required with --once or when stdout is not a terminal)', positiveInteger)
    .option('--once', 'show one alert and exit (the default when stdout is not a terminal)')
    .option('--width <cols>', `columns to fit (default: the terminal's width, or ${DEFAULT_WIDTH})`, positiveInteger)
    .option('--height <rows>', `most text rows per picture (default: fits the terminal, or ${DEFAULT_MAX_ROWS})`, positiveInteger)
    .option('--color <mode>', 'auto (from the terminal, NO_COLOR and TERM), truecolor, 256 or none', colourMode, 'auto')
    .option('--json', 'print the alert view (ids, object keys, metrics, stream, image numbers) as JSON instead of pictures')
    .action(async (alertNumber: number | undefined, flags: ViewFlags, command: Command) => {
      const context = cliContext(command)
      setColourDepth(flags.color === 'auto' ? colourDepthOf(process.stdout) : flags.color)
      const interactive = flags.once !== true && process.stdout.isTTY === true
      if (!interactive && alertNumber === undefined) {
        throw new UsageError('an alert number is required with --once or when stdout is not a terminal (e.g. imgpipe view 1 --once)')
      }
      // Getters: a terminal resized between two alerts gets the next one at its new size.
      const options: ViewOptions = {
        get width() {
          return viewWidth(flags.width, process.stdout.columns)
        },
        get maxRows() {
          return viewMaxRows(flags.height, process.stdout.isTTY === true ? process.stdout.rows : undefined)
        },
        json: flags.json === true,
      }
      // A --width that is too narrow is a usage error before anything is opened.
      viewWidth(flags.width, process.stdout.columns)
      // `open`: a viewer must not leave an empty database behind where the user mistyped the path.
      await withBackends(context, { catalog: 'open', store: 'open' }, async ({ catalog, store }) => {
        const backends: ViewerBackends = {
          catalog,
          store,
          limits: context.config.analysis,
          science: { detections: catalog.objectLedger(objectLedgerDeps), ledger: catalog.scienceLedger() },
        }
        if (!interactive && alertNumber !== undefined) {
          process.stdout.write(await showAlert(backends, alertNumber, options))
          return
        }
        await runInteractiveViewer({
          backends,
          view: options,
          input: process.stdin,
          output: process.stdout,
          ...(alertNumber === undefined ? {} : { first: alertNumber }),
          signal: context.stop,
        })
      })
    })
}
