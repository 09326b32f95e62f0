import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { buildReference } from '../../analysis/diffim/build-reference.js'
import { encodeReferenceFile } from '../../analysis/diffim/reference-file.js'
import { readFits } from '../../analysis/fits/fits-reader.js'
import { headerLookup } from '../../analysis/fits/header-card.js'
import { readWcs } from '../../analysis/wcs/wcs.js'
import { assertValidStreamName, referenceObjectKey } from '../../core/object-keys.js'
import { CatalogConflictError, NotFoundError, UsageError } from '../../core/errors.js'
import type { ReferenceKey, ReferenceRecord } from '../../core/ports/science-ledger.js'
import type { ImageRecord } from '../../core/types.js'
import { referenceKeyOf } from '../../stages/analyze/choose-analyzer.js'
import { PixelSource } from '../../stages/analyze/pixel-source.js'
import { openScience } from '../../stages/analyze/pooled-science.js'
import { REFERENCE_CLAIM_STALE_MS, ReferenceBuilder } from '../../stages/analyze/reference-builder.js'
import { cliContext, printJson } from '../cli-context.js'
import { cellText, formatTable, outputWidth } from '../table-format.js'
import { withBackends } from '../with-backends.js'

/**
 * `imgpipe reference build|set|list`: the references (templates) difference imaging subtracts, per stream, field
 * and filter. Each build or set adds a version; the analyze stage uses the latest ready one (and builds the first
 * by itself after IMGPIPE_REFERENCE_FRAMES frames).
 */

/** How far back `reference build` without --images looks for each field's frames. */
const LATEST_IMAGES = 200

interface BuildOptions {
  stream: string
  field?: string
  filter?: string
  images?: string
  json?: boolean
}

function print(lines: string[]): void {
  process.stdout.write(lines.map((line) => `${line}\n`).join(''))
}

function describe(reference: ReferenceRecord): string {
  const fwhm = reference.fwhm === null ? '' : `, FWHM ${reference.fwhm.toFixed(2)} px`
  return `reference ${reference.referenceId} of ${reference.stream} field ${reference.field} (${reference.filter}) version ${reference.version}: ${reference.frames} frame${reference.frames === 1 ? '' : 's'}${fwhm}`
}

function imageIds(text: string): number[] {
  const ids = text.split(',').map((part) => part.trim())
  if (ids.some((id) => !/^[1-9]\d{0,14}$/.test(id))) throw new UsageError(`--images "${text}": expected image ids separated by commas`)
  return ids.map(Number)
}

/** The frames of each field to build from: the images given, or each field's latest ones in the stream. */
async function framesByField(
  catalog: {
    getImage(id: number): Promise<ImageRecord | null>
    findPreviousImage(stream: string, num: number): Promise<ImageRecord | null>
  },
  options: BuildOptions,
  perField: number,
): Promise<Map<string, { key: ReferenceKey; frames: ImageRecord[] }>> {
  const fields = new Map<string, { key: ReferenceKey; frames: ImageRecord[] }>()
  const add = (image: ImageRecord, limit: number): void => {
    const key = referenceKeyOf(image)
    if (
      key === null ||
      (options.field !== undefined && key.field !== options.field) ||
      (options.filter !== undefined && key.filter !== options.filter)
    )
      return
    const name = `${key.field}\u0000${key.filter}`
    const entry = fields.get(name) ?? { key, frames: [] }
    if (entry.frames.length < limit) entry.frames.push(image)
    fields.set(name, entry)
  }
  if (options.images !== undefined) {
    for (const id of imageIds(options.images)) {
      const image = await catalog.getImage(id)
      if (image === null || image.stream !== options.stream) throw new NotFoundError(`no image ${id} in stream ${options.stream}`)
      if (referenceKeyOf(image) === null) throw new UsageError(`image ${id} is not a FITS frame with a field, a filter and a WCS`)
      add(image, Number.MAX_SAFE_INTEGER)
    }
    return fields
  }
  let cursor = Number.MAX_SAFE_INTEGER
  for (let looked = 0; looked < LATEST_IMAGES; looked++) {
    const image = await catalog.findPreviousImage(options.stream, cursor)
    if (image === null || image.imageNum === null) break
    cursor = image.imageNum
    if (image.status === 'analyzed' || image.status === 'received') add(image, perField)
  }
  return fields
}

export function registerReferenceCommand(program: Command): void {
  const reference = program
    .command('reference')
    .summary('the references difference imaging subtracts')
    .description('references (templates) per stream, field and filter: build, set, list')
  reference
    .command('build')
    .description("build a field's reference from its latest frames (IMGPIPE_REFERENCE_FRAMES of them) or the images given")
    .requiredOption('--stream <name>', 'the stream')
    .option('--field <name>', 'only this field (default: every field in the stream)')
    .option('--filter <band>', 'only this filter')
    .option('--images <ids>', 'build from these image ids (comma-separated) instead of the latest frames')
    .option('--json', 'print the references built as JSON')
    .action(async (options: BuildOptions, command: Command) => {
      assertValidStreamName(options.stream)
      const context = cliContext(command)
      const { config, logger } = context
      const perField = Math.max(1, config.analysis.science?.referenceFrames ?? 3)
      const built = await withBackends(context, { catalog: 'ready', store: 'ready' }, async ({ catalog, store }) => {
        const science = openScience(catalog, config.analysis)
        try {
          const pixels = new PixelSource(store, config.analysis)
          const builder = new ReferenceBuilder({ catalog, store, pixels, science, logger })
          const fields = await framesByField(catalog, options, perField)
          if (fields.size === 0) throw new NotFoundError(`no FITS frames with a field, a filter and a WCS in stream ${options.stream}`)
          const references: ReferenceRecord[] = []
          for (const { key, frames } of fields.values()) {
            const made = await builder.build(key, frames)
            if (made === null)
              throw new CatalogConflictError(`field ${key.field} (${key.filter}): another process is building its reference`)
            references.push(made)
          }
          return references
        } finally {
          await science.compute.close()
        }
      })
      if (options.json === true) printJson(built)
      else print(built.map((made) => `${describe(made)} built`))
    })
  reference
    .command('set <file>')
    .description("make a FITS file's primary HDU a field's reference (background and noise estimated)")
    .requiredOption('--stream <name>', 'the stream')
    .requiredOption('--field <name>', 'the field')
    .requiredOption('--filter <band>', 'the filter')
    .option('--json', 'print the reference as JSON')
    .action(async (file: string, options: { stream: string; field: string; filter: string; json?: boolean }, command: Command) => {
      assertValidStreamName(options.stream)
      const context = cliContext(command)
      let bytes: Buffer
      try {
        bytes = await readFile(file)
      } catch (error) {
        throw new UsageError(`cannot read ${file}`, { cause: error })
      }
      const fits = readFits(bytes, { hdu: 0, maxPixels: context.config.analysis.maxImagePixels })
      try {
        readWcs(headerLookup(fits.header))
      } catch (error) {
        throw new UsageError(`${file}: its primary HDU has no usable celestial WCS`, { cause: error })
      }
      // One frame through the builder: background subtracted, σ map from the background mesh, the PSF measured.
      const built = buildReference([{ image: fits.image, cards: fits.header }])
      const encoded = encodeReferenceFile(built)
      const key = { stream: options.stream, field: options.field, filter: options.filter }
      const made = await withBackends(context, { catalog: 'ready', store: 'ready' }, async ({ catalog, store }) => {
        const ledger = catalog.scienceLedger()
        const claim = await ledger.claimReference(key, REFERENCE_CLAIM_STALE_MS)
        if (claim === null) throw new CatalogConflictError(`field ${key.field} (${key.filter}): another process is building its reference`)
        const objectKey = referenceObjectKey(key.stream, claim.referenceId)
        await store.put(objectKey, Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength), { contentType: 'application/fits' })
        return ledger.finishReference(claim.referenceId, { objectKey, frames: 1, fwhm: built.psf.fwhm, imageIds: [] })
      })
      if (options.json === true) printJson(made)
      else print([`${describe(made)} set from ${file}`])
    })
  reference
    .command('list')
    .description('list references, latest version last')
    .option('--stream <name>', 'only this stream')
    .option('--json', 'print JSON')
    .action(async (options: { stream?: string; json?: boolean }, command: Command) => {
      const context = cliContext(command)
      const references = await withBackends(context, { catalog: 'open' }, ({ catalog }) =>
        catalog.scienceLedger().listReferences(options.stream),
      )
      if (options.json === true) return printJson(references)
      const table = formatTable(
        ['id', 'stream', 'field', 'filter', 'version', 'status', 'frames', 'FWHM px', 'created'].map((header) => ({ header })),
        references.map((row) => [
          String(row.referenceId),
          cellText(row.stream),
          cellText(row.field),
          cellText(row.filter),
          String(row.version),
          row.status,
          String(row.frames),
          row.fwhm === null ? '' : row.fwhm.toFixed(2),
          row.createdAt.toISOString(),
        ]),
        { maxWidth: outputWidth() },
      )
      print(references.length === 0 ? ['no references'] : table.lines)
    })
}
