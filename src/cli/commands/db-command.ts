import { Option } from 'commander'
import type { Command } from 'commander'
import { describeCatalog } from '../../adapters/backend-options.js'
import { OBSERVATION_COLUMNS } from '../../adapters/sql/observation-column-names.js'
import { UsageError } from '../../core/errors.js'
import { CATALOG_TABLES } from '../../core/ports/catalog-admin.js'
import type { CatalogAdmin, CatalogTable } from '../../core/ports/catalog-admin.js'
import { formatDecDms, formatRaHms } from '../../core/sexagesimal.js'
import type { PipelineCounts } from '../../core/types.js'
import { cliContext, nonNegativeInteger, positiveInteger, printJson } from '../cli-context.js'
import { cellText, formatRecords, formatTable, outputWidth, tooNarrowForTable } from '../table-format.js'
import type { TableColumn } from '../table-format.js'
import { withBackends } from '../with-backends.js'

/**
 * `imgpipe db create|reset|empty|show|counts`: the original's database_utility_scripts
 * (create_pipeline_database, empty_pipeline_database, show_database_contents) as safe subcommands on
 * whichever catalog the configuration names. The destructive ones refuse to run without `--yes`, and
 * refuse before connecting, so a mistaken command costs nothing.
 */

/** Rows `db show` prints per table unless told otherwise: a screenful, not a whole observing night. */
export const DEFAULT_SHOW_LIMIT = 100

const ID_COLUMN: Readonly<Record<CatalogTable, string>> = {
  image_metadata: 'image_id',
  image_event: 'image_event_id',
  image_event_alert: 'image_event_alert_id',
}

/**
 * Which columns survive on a narrow terminal, most telling first: the original's columns, then what
 * says where a row stands (status, times), then the analysis details. Shown in the database's order.
 */
const COLUMN_PRIORITY: Readonly<Record<CatalogTable, readonly string[]>> = {
  image_metadata: [
    'image_id',
    'image_filename',
    'stream',
    'image_num',
    'status',
    'obs_time',
    'filter',
    'image_object_key',
    'received_at',
    'analyzed_at',
    'format',
    'width',
    'height',
    'byte_size',
    'previous_image_id',
    'changed_fraction',
    'error_code',
    'max_abs_difference',
    'l2_norm',
    'error_message',
    'content_sha256',
    'exposure_s',
    'field',
    'center',
    'center_ra',
    'center_dec',
    'pixel_scale_arcsec',
    'obs_mjd',
    'fits_hdu',
    'fits_header',
    'footprint',
  ],
  image_event: ['image_event_id', 'image_id', 'difference_image_object_key', 'event_type', 'detected_at', 'analyzer', 'analyzer_version'],
  image_event_alert: ['image_event_alert_id', 'image_event_id', 'created_at', 'delivered_at', 'delivery_channels'],
}

const TABLE_LIST = CATALOG_TABLES.join(', ')

interface ShowOptions {
  table?: CatalogTable
  limit: number
  after?: number
  json?: boolean
  vertical?: boolean
  width?: number
}

/** One table's page as `db show --json` prints it. */
export interface ShownTable {
  /** Rows in the whole table. */
  total: number
  /** Ascending by id, with the database's column names and full values. */
  rows: Record<string, unknown>[]
  /** Pass as `--after` for the next page; null when this page reached the end. */
  nextAfter: number | null
}

export function registerDbCommand(program: Command): void {
  const db = program
    .command('db')
    .summary('the catalog: create, reset, empty, show, counts')
    .description('the catalog database: create, reset, empty, show, counts (the original database_utility_scripts)')

  db.command('create')
    .description('create the catalog tables, or upgrade them to the current schema; never deletes data')
    .action(async (_options: unknown, command: Command) => {
      const context = cliContext(command)
      const where = describeCatalog(context.config.database)
      await withBackends(context, { catalog: 'create' }, async ({ catalog }) => {
        await catalog.ping()
        const applied = await catalog.migrate()
        const counts = await catalog.tableCounts()
        const rows = CATALOG_TABLES.map((table) => `${table} ${counts[table]}`).join(', ')
        process.stdout.write(
          applied.length === 0
            ? `schema up to date in ${where} (rows: ${rows})\n`
            : `applied ${applied.join(', ')} to ${where}: tables ${TABLE_LIST} (rows: ${rows})\n`,
        )
      })
    })

  db.command('reset')
    .description('drop the catalog tables and create them again, empty (destructive: needs --yes)')
    .option('--yes', `confirm: delete every row of ${TABLE_LIST}`)
    .action(async (options: { yes?: boolean }, command: Command) => {
      const context = cliContext(command)
      const where = describeCatalog(context.config.database)
      if (options.yes !== true) {
        throw new UsageError(
          `db reset would delete every row of ${TABLE_LIST} in ${where} and recreate the tables; run it again with --yes to do so`,
        )
      }
      await withBackends(context, { catalog: 'create' }, async ({ catalog }) => {
        // Only for the report: a database without the tables yet is what reset is sometimes for.
        const before = await catalog.tableCounts().catch(() => null)
        await catalog.reset()
        process.stdout.write(
          `dropped and recreated ${TABLE_LIST} in ${where}${before === null ? '' : ` (${describeRowCounts(before)} deleted)`}\n`,
        )
      })
    })

  db.command('empty')
    .description('delete every row of the catalog tables, keeping the schema (destructive: needs --yes)')
    .option('--yes', `confirm: delete every row of ${TABLE_LIST}`)
    .action(async (options: { yes?: boolean }, command: Command) => {
      const context = cliContext(command)
      const where = describeCatalog(context.config.database)
      if (options.yes !== true) {
        throw new UsageError(`db empty would delete every row of ${TABLE_LIST} in ${where}; run it again with --yes to do so`)
      }
      await withBackends(context, { catalog: 'open' }, async ({ catalog }) => {
        const before = await catalog.tableCounts()
        await catalog.emptyTables()
        process.stdout.write(
          `deleted every row of ${TABLE_LIST} in ${where} (${describeRowCounts(before)}); the tables are kept.\n` +
            'The object store was not touched (imgpipe store empty --yes empties it).\n',
        )
      })
    })

  db.command('show')
    .description('print the rows of the catalog tables (all three, or one), ascending by id')
    .addOption(new Option('--table <name>', 'only this table').choices(CATALOG_TABLES))
    .option('--limit <n>', 'rows per table', positiveInteger, DEFAULT_SHOW_LIMIT)
    .option('--after <id>', 'only rows with a larger id (the next page)', nonNegativeInteger)
    .option('--json', 'print the rows as JSON, with full values')
    .option('--vertical', 'one "column  value" line per column instead of a table: every column, values cut only to fit')
    .option(
      '--width <columns>',
      'fit the output to this many columns (default: the terminal width on a terminal, unlimited otherwise)',
      positiveInteger,
    )
    .addHelpText(
      'after',
      `\nTables: ${TABLE_LIST}.\nOn a narrow terminal the table keeps the most telling columns and lists the others; --vertical or --json show them all.`,
    )
    .action(async (options: ShowOptions, command: Command) => {
      const context = cliContext(command)
      const where = describeCatalog(context.config.database)
      const tables = options.table === undefined ? CATALOG_TABLES : [options.table]
      const shown = await withBackends(context, { catalog: 'open' }, ({ catalog }) =>
        showTables(catalog, tables, options.limit, options.after),
      )
      if (options.json === true) {
        printJson({ database: where, tables: shown })
        return
      }
      const lines = [`database: ${where}`]
      const width = outputWidth(options.width)
      for (const table of tables) {
        const page = shown[table]
        if (page === undefined) continue
        lines.push(
          '',
          pageHeading(table, page, options.after),
          ...renderRows(table, page.rows, { width, vertical: options.vertical === true }),
        )
      }
      process.stdout.write(`${lines.join('\n')}\n`)
    })

  db.command('counts')
    .description('rows per catalog table and the pipeline counts (images by status, events, alerts)')
    .option('--json', 'print the counts as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = cliContext(command)
      const where = describeCatalog(context.config.database)
      const { tables, counts } = await withBackends(context, { catalog: 'open' }, async ({ catalog }) => ({
        tables: await catalog.tableCounts(),
        counts: await catalog.counts(),
      }))
      if (options.json === true) {
        printJson({ database: where, tables, counts })
        return
      }
      const table = formatTable(
        [{ header: 'table' }, { header: 'rows', align: 'right' }],
        CATALOG_TABLES.map((name) => [name, String(tables[name])]),
      )
      process.stdout.write(`${[`database: ${where}`, ...table.lines, `pipeline: ${describePipelineCounts(counts)}`].join('\n')}\n`)
    })
}

async function showTables(
  catalog: CatalogAdmin,
  tables: readonly CatalogTable[],
  limit: number,
  afterId: number | undefined,
): Promise<Partial<Record<CatalogTable, ShownTable>>> {
  const totals = await catalog.tableCounts()
  const shown: Partial<Record<CatalogTable, ShownTable>> = {}
  for (const table of tables) {
    // One row more than asked says whether there is a next page without a second query.
    const fetched = await catalog.tableRows(table, {
      limit: limit < Number.MAX_SAFE_INTEGER ? limit + 1 : limit,
      ...(afterId === undefined ? {} : { afterId }),
    })
    const rows = fetched.slice(0, limit)
    const last = rows.at(-1)?.[ID_COLUMN[table]]
    shown[table] = { total: totals[table], rows, nextAfter: fetched.length > limit && typeof last === 'number' ? last : null }
  }
  return shown
}

function pageHeading(table: CatalogTable, page: ShownTable, afterId: number | undefined): string {
  const rows = (count: number): string => `${count} row${count === 1 ? '' : 's'}`
  if (page.rows.length === page.total) return `${table}: ${rows(page.total)}`
  const range = afterId === undefined ? '' : ` with ${ID_COLUMN[table]} > ${afterId}`
  const next = page.nextAfter === null ? '' : `; next page: --table ${table} --after ${page.nextAfter}`
  return `${table}: ${page.rows.length} of ${rows(page.total)} shown${range}${next}`
}

/** What a FITS header says (migration 0005): NULL for pictures. */
const OBSERVATION_COLUMN_SET: ReadonlySet<string> = new Set<string>(OBSERVATION_COLUMNS)

function cardCount(header: string): string {
  const cards = header.split('\n').length
  return `${cards} card${cards === 1 ? '' : 's'} (--json prints them)`
}

function fixed(value: unknown, digits: number): unknown {
  return typeof value === 'number' ? value.toFixed(digits) : value
}

/**
 * image_metadata rows as the text views show them (--json prints the rows as stored). A page of pictures only
 * leaves out the observation columns, all NULL. For science images: the MJD to 1e-6 day (0.09 s) and the centre
 * to 1e-6° (4 mas) rather than a table cell's six digits, the centre also in sexagesimal (`center`), and the header
 * as its card count (a header is thousands of characters).
 */
export function textRows(table: CatalogTable, rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  if (table !== 'image_metadata') return [...rows]
  const science = rows.some((row) => row['fits_header'] !== null && row['fits_header'] !== undefined)
  return rows.map((row) => {
    const shown: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(row)) {
      if (!OBSERVATION_COLUMN_SET.has(name)) shown[name] = value
      else if (!science) continue
      else if (name === 'fits_header') shown[name] = typeof value === 'string' ? cardCount(value) : value
      else if (name === 'obs_mjd' || name === 'center_ra' || name === 'center_dec') shown[name] = fixed(value, 6)
      else shown[name] = value
      if (name === 'center_dec' && science) {
        const [ra, dec] = [row['center_ra'], row['center_dec']]
        shown['center'] = typeof ra === 'number' && typeof dec === 'number' ? `${formatRaHms(ra)} ${formatDecDms(dec)}` : null
      }
    }
    return shown
  })
}

/** A table (or records) of raw rows; an empty list for no rows, since the heading already says 0. */
export function renderRows(
  table: CatalogTable,
  stored: readonly Record<string, unknown>[],
  options: { width: number | undefined; vertical: boolean },
): string[] {
  const rows = textRows(table, stored)
  const first = rows[0]
  if (first === undefined) return []
  const names = Object.keys(first)
  const cells = rows.map((row) => names.map((name) => cellText(row[name])))
  const title = (index: number): string => `${table} ${cellText(rows[index]?.[ID_COLUMN[table]])}`
  if (options.vertical) return formatRecords(names, cells, { maxWidth: options.width, title })
  const columns: TableColumn[] = names.map((name) => ({
    header: name,
    align: rows.every((row) => row[name] === null || typeof row[name] === 'number') ? 'right' : 'left',
  }))
  const priority = COLUMN_PRIORITY[table].map((name) => names.indexOf(name)).filter((index) => index >= 0)
  const formatted = formatTable(columns, cells, { maxWidth: options.width, priority })
  if (tooNarrowForTable(formatted, names.length)) return formatRecords(names, cells, { maxWidth: options.width, title })
  if (formatted.omitted.length === 0) return formatted.lines
  return [
    ...formatted.lines,
    `(${formatted.omitted.length} more column${formatted.omitted.length === 1 ? '' : 's'} did not fit: ${formatted.omitted.join(', ')}; --vertical or --json show every column)`,
  ]
}

function describeRowCounts(counts: Record<CatalogTable, number>): string {
  const total = CATALOG_TABLES.reduce((sum, table) => sum + counts[table], 0)
  return `${total} row${total === 1 ? '' : 's'}: ${CATALOG_TABLES.map((table) => `${table} ${counts[table]}`).join(', ')}`
}

/** The pipeline counts in one line, as `db counts` and `status` print them. */
export function describePipelineCounts(counts: PipelineCounts): string {
  return (
    `${counts.images} images (${counts.imagesAnalyzed} analysed, ${counts.imagesReceived} pending, ${counts.imagesFailed} failed), ` +
    `${counts.events} image events, ${counts.alerts} alerts (${counts.alertsUndelivered} undelivered)`
  )
}
