import { describe, expect, it } from 'vitest'
import { objectLedgerDeps } from '../../../src/analysis/association/ledger-deps.js'
import { catalogBackends } from '../../support/catalog-backends.js'
import type { OpenedCatalog } from '../../support/catalog-backends.js'
import { detection } from '../../contracts/object-ledger-contract.js'
import { scienceLedgerContract } from '../../contracts/science-ledger-contract.js'

for (const backend of catalogBackends()) {
  scienceLedgerContract(backend.name, async () => {
    const opened = await backend.open()
    await opened.catalog.migrate()
    const other = opened.reopen?.()
    return {
      ledger: opened.catalog.scienceLedger(),
      ...(other === undefined ? {} : { second: other.scienceLedger() }),
      async cleanup() {
        await other?.close()
        await opened.cleanup()
      },
    }
  })

  describe(`science tables under db empty and db reset: ${backend.name}`, () => {
    /** A reference, a run with a fake, a derivative and a detection: one row in each data table. */
    async function fill(opened: OpenedCatalog): Promise<void> {
      const science = opened.catalog.scienceLedger()
      const claim = await science.claimReference({ stream: 's', field: 'F', filter: 'r' }, 60_000)
      await science.finishReference(claim!.referenceId, { objectKey: 'ref.fits', frames: 3, fwhm: 2, imageIds: [1, 2, 3] })
      const fake = { x: 1, y: 2, flux: 3, mag: 20, expectedSnr: 10, recovered: true, measuredFlux: 3 }
      await science.recordDiffimRuns([
        {
          imageId: 4,
          referenceId: claim!.referenceId,
          psfMethod: 'gaussian-kernel',
          scienceFwhm: 3,
          referenceFwhm: 2,
          noiseCorrection: 1,
          candidates: 1,
          detections: 1,
          seconds: 0.1,
          fakes: [fake],
        },
      ])
      await science.recordDerivatives([
        { imageEventId: 9, name: 'difference.fits', objectKey: 'd.fits', contentType: 'image/fits', sourceId: null },
      ])
      await opened.catalog.objectLedger(objectLedgerDeps).associate([detection(10, 10, 61000, { imageId: 4, imageEventId: 9 })])
    }

    async function counts(opened: OpenedCatalog): Promise<Record<string, number>> {
      const out: Record<string, number> = {}
      for (const table of [
        'image_event_type',
        'reference_image',
        'diffim_run',
        'diffim_fake',
        'image_event_derivative_image',
        'dia_source',
      ]) {
        const [row] = await opened.executeSql(`SELECT count(*) AS n FROM ${table}`)
        out[table] = Number(row!['n'])
      }
      return out
    }

    const FULL = { image_event_type: 5, reference_image: 1, diffim_run: 1, diffim_fake: 1, image_event_derivative_image: 1, dia_source: 1 }
    const EMPTY = { image_event_type: 5, reference_image: 0, diffim_run: 0, diffim_fake: 0, image_event_derivative_image: 0, dia_source: 0 }

    it('db empty deletes the science rows and keeps the event types; db reset recreates them seeded', async () => {
      const opened = await backend.open()
      try {
        await opened.catalog.migrate()
        await fill(opened)
        expect(await counts(opened)).toEqual(FULL)
        await opened.catalog.emptyTables()
        expect(await counts(opened)).toEqual(EMPTY)
        await fill(opened)
        await opened.catalog.reset()
        expect(await counts(opened)).toEqual(EMPTY)
        expect((await opened.catalog.scienceLedger().eventTypes()).map((type) => type.name)).toContain('new_source')
        // Recreated, not just emptied: a new claim is version 1 again.
        expect(await opened.catalog.scienceLedger().claimReference({ stream: 's', field: 'F', filter: 'r' }, 60_000)).toMatchObject({
          version: 1,
          referenceId: 1,
        })
      } finally {
        await opened.cleanup()
      }
    })
  })
}
