import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import { openCatalog } from '../../adapters/open-backends.js'
import { objectLedgerDeps } from '../../analysis/association/ledger-deps.js'
import type { Config } from '../../config/load-config.js'
import { NotFoundError, UsageError } from '../../core/errors.js'
import type { NewWatchlistCone, ObjectLedger } from '../../core/ports/object-ledger.js'
import { cliContext, printJson } from '../cli-context.js'
import { cellText, formatTable, outputWidth } from '../table-format.js'

/**
 * `imgpipe watchlist add|list|remove|match`: named lists of sky cones (RA, Dec, radius) that alerts are matched
 * against through the sky index. Cones come from a CSV file with a header naming the columns
 * ra,dec,radius_arcsec,name (any order; degrees, ICRS).
 */

const COLUMNS = ['ra', 'dec', 'radius_arcsec', 'name'] as const
/** Bad rows listed one per line before giving up; the rest are counted. */
const MAX_REPORTED = 20

async function withLedger<T>(config: Config, work: (ledger: ObjectLedger) => Promise<T>): Promise<T> {
  const catalog = await openCatalog(config.database)
  try {
    await catalog.migrate()
    return await work(catalog.objectLedger(objectLedgerDeps))
  } finally {
    await catalog.close()
  }
}

/** One CSV line into fields: commas separate, double quotes enclose (a doubled quote inside is one quote). */
function csvFields(line: string): string[] | null {
  const fields: string[] = []
  let field = ''
  let quoted = false
  for (let at = 0; at < line.length; at++) {
    const char = line[at]!
    if (quoted) {
      if (char === '"' && line[at + 1] === '"') {
        field += '"'
        at += 1
      } else if (char === '"') quoted = false
      else field += char
    } else if (char === '"' && field.trim() === '') {
      quoted = true
      field = ''
    } else if (char === ',') {
      fields.push(field.trim())
      field = ''
    } else field += char
  }
  if (quoted) return null
  fields.push(field.trim())
  return fields
}

function parseNumber(text: string | undefined): number {
  return text === undefined || text === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number.NaN : Number(text)
}

/** Parses a cones CSV; returns the cones, or the one-line reasons (with line numbers) of every bad row. */
export function parseConesCsv(text: string, file: string): { cones: NewWatchlistCone[]; errors: string[] } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  const errors: string[] = []
  const cones: NewWatchlistCone[] = []
  const headerAt = lines.findIndex((line) => line.trim() !== '')
  if (headerAt < 0) return { cones, errors: [`${file}: empty, expected a header ${COLUMNS.join(',')}`] }
  const header = (csvFields(lines[headerAt]!) ?? []).map((name) => name.toLowerCase())
  const missing = COLUMNS.filter((column) => !header.includes(column))
  if (missing.length > 0) {
    return { cones, errors: [`${file} line ${headerAt + 1}: header lacks ${missing.join(', ')} (expected ${COLUMNS.join(',')})`] }
  }
  const index = Object.fromEntries(COLUMNS.map((column) => [column, header.indexOf(column)])) as Record<(typeof COLUMNS)[number], number>
  for (let at = headerAt + 1; at < lines.length; at++) {
    const line = lines[at]!
    if (line.trim() === '') continue
    const where = `${file} line ${at + 1}`
    const fields = csvFields(line)
    if (fields === null) {
      errors.push(`${where}: unterminated quote`)
      continue
    }
    if (fields.length !== header.length) {
      errors.push(`${where}: ${fields.length} fields, the header has ${header.length}`)
      continue
    }
    const ra = parseNumber(fields[index.ra])
    const dec = parseNumber(fields[index.dec])
    const radius = parseNumber(fields[index.radius_arcsec])
    const name = fields[index.name] ?? ''
    const problems: string[] = []
    if (!(ra >= 0 && ra < 360)) problems.push(`ra "${fields[index.ra]}" is not a number of degrees in [0, 360)`)
    if (!(dec >= -90 && dec <= 90)) problems.push(`dec "${fields[index.dec]}" is not a number of degrees in [-90, 90]`)
    if (!(radius > 0 && radius <= 3600)) problems.push(`radius_arcsec "${fields[index.radius_arcsec]}" is not in (0, 3600]`)
    if (name === '' || name.length > 255) problems.push('name must be 1 to 255 characters')
    if (problems.length > 0) errors.push(`${where}: ${problems.join('; ')}`)
    else cones.push({ name, ra, dec, radiusArcsec: radius })
  }
  if (errors.length === 0 && cones.length === 0) errors.push(`${file}: no cones after the header`)
  return { cones, errors }
}

function print(lines: string[]): void {
  process.stdout.write(lines.map((line) => `${line}\n`).join(''))
}

export function registerWatchlistCommand(program: Command): void {
  const watchlist = program
    .command('watchlist')
    .summary('cone watchlists that alerts are matched with')
    .description('cone watchlists that alerts are matched against: add, list, remove, match')
  watchlist
    .command('add <name>')
    .description('add a watchlist from a CSV of cones (header: ra,dec,radius_arcsec,name; degrees, ICRS)')
    .requiredOption('--file <cones.csv>', 'the cones')
    .option('--json', 'print the watchlist as JSON')
    .action(async (name: string, options: { file: string; json?: boolean }, command: Command) => {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new UsageError('watchlist name: 1 to 64 letters, digits, ".", "_" or "-"')
      const { config } = cliContext(command)
      let text: string
      try {
        text = await readFile(options.file, 'utf8')
      } catch (error) {
        // describeError adds the cause once: `cannot read x.csv: ENOENT: no such file or directory`.
        throw new UsageError(`cannot read ${options.file}`, { cause: error })
      }
      const { cones, errors } = parseConesCsv(text, path.basename(options.file))
      if (errors.length > 0) {
        for (const error of errors.slice(0, MAX_REPORTED)) process.stderr.write(`imgpipe: ${error}\n`)
        if (errors.length > MAX_REPORTED) process.stderr.write(`imgpipe: … and ${errors.length - MAX_REPORTED} more bad rows\n`)
        throw new UsageError(
          `${path.basename(options.file)}: ${errors.length} bad row${errors.length === 1 ? '' : 's'}, watchlist not added`,
        )
      }
      const added = await withLedger(config, (ledger) => ledger.addWatchlist(name, cones))
      if (options.json === true) printJson(added)
      else print([`watchlist ${added.watchlistId} ${added.name} added with ${added.cones} cones`])
    })
  watchlist
    .command('list')
    .description('list watchlists')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config } = cliContext(command)
      const lists = await withLedger(config, (ledger) => ledger.listWatchlists())
      if (options.json === true) return printJson(lists)
      const table = formatTable(
        [{ header: 'id', align: 'right' }, { header: 'name' }, { header: 'cones', align: 'right' }, { header: 'created' }],
        lists.map((list) => [String(list.watchlistId), cellText(list.name), String(list.cones), list.createdAt.toISOString()]),
        { maxWidth: outputWidth() },
      )
      print(lists.length === 0 ? ['no watchlists'] : table.lines)
    })
  watchlist
    .command('remove <watchlist>')
    .description('remove a watchlist (by id or name) with its cones')
    .action(async (which: string, _options: unknown, command: Command) => {
      const { config } = cliContext(command)
      const removed = await withLedger(config, (ledger) => ledger.removeWatchlist(/^\d+$/.test(which) ? Number(which) : which))
      if (!removed) throw new NotFoundError(`no watchlist ${which}`)
      print([`watchlist ${which} removed`])
    })
  watchlist
    .command('match <ra> <dec>')
    .description('the watchlist cones that contain a position (degrees)')
    .option('--json', 'print JSON')
    .action(async (raText: string, decText: string, options: { json?: boolean }, command: Command) => {
      const ra = parseNumber(raText)
      const dec = parseNumber(decText)
      if (!(ra >= 0 && ra < 360) || !(dec >= -90 && dec <= 90))
        throw new UsageError('expected RA in [0, 360) and Dec in [-90, 90], degrees')
      const { config } = cliContext(command)
      const cones = await withLedger(config, (ledger) => ledger.matchWatchlists(ra, dec))
      if (options.json === true) return printJson(cones)
      print(cones.length === 0 ? ['no cone contains it'] : cones.map((cone) => `${cone.watchlist} ${cone.name} (${cone.radiusArcsec}″)`))
    })
}
