import { NotFoundError, UsageError } from '../../core/errors.js'
import { EVENT_TYPES } from '../../core/event-types.js'
import type {
  DerivativeRecord,
  DiffimRun,
  DiffimRunRecord,
  FakeRecord,
  NewDerivative,
  ReferenceFinish,
  ReferenceKey,
  ReferenceRecord,
  ScienceLedger,
} from '../../core/ports/science-ledger.js'

interface StoredReference extends ReferenceRecord {
  claimedAt: Date
}

function copyReference({ claimedAt: _claimedAt, ...reference }: StoredReference): ReferenceRecord {
  return { ...reference, imageIds: [...reference.imageIds], createdAt: new Date(reference.createdAt) }
}

function sameField(reference: ReferenceRecord, key: ReferenceKey): boolean {
  return reference.stream === key.stream && reference.field === key.field && reference.filter === key.filter
}

/** Code-unit order, as the SQL ledger sorts names (independent of a database's collation). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** References ordered as the SQL ledger lists them: stream, field, filter, version. */
function byField(a: ReferenceRecord, b: ReferenceRecord): number {
  return compareText(a.stream, b.stream) || compareText(a.field, b.field) || compareText(a.filter, b.filter) || a.version - b.version
}

/**
 * The ScienceLedger in memory, for tests and single-process runs. Each method runs synchronously between its
 * awaits, so a claim in one process is as atomic as the SQL one's unique key; across processes there is nothing to
 * share.
 */
export function createMemoryScienceLedger(): ScienceLedger {
  const references: StoredReference[] = []
  const runs = new Map<number, DiffimRunRecord>()
  const derivatives = new Map<string, DerivativeRecord>()
  let nextReference = 1
  let nextDerivative = 1

  const runRecord = (run: DiffimRunRecord): DiffimRunRecord => ({
    ...run,
    fakes: run.fakes.map((fake) => ({ ...fake })),
    createdAt: new Date(run.createdAt),
  })

  return {
    async eventTypes() {
      return EVENT_TYPES.map((type) => ({ ...type })).sort((a, b) => compareText(a.name, b.name))
    },

    async latestReference(key) {
      const ready = references.filter((reference) => sameField(reference, key) && reference.status === 'ready')
      const latest = ready.sort((a, b) => b.version - a.version)[0]
      return latest === undefined ? null : copyReference(latest)
    },

    async getReference(referenceId) {
      const found = references.find((reference) => reference.referenceId === referenceId)
      return found === undefined ? null : copyReference(found)
    },

    async listReferences(stream) {
      return references
        .filter((reference) => stream === undefined || reference.stream === stream)
        .sort(byField)
        .map(copyReference)
    },

    async claimReference(key, staleMs) {
      if (!(staleMs >= 0)) throw new UsageError(`reference claim: stale age must be ≥ 0 ms, got ${staleMs}`)
      const now = new Date()
      const field = references.filter((reference) => sameField(reference, key))
      const building = field.find((reference) => reference.status === 'building')
      if (building !== undefined) {
        if (now.getTime() - building.claimedAt.getTime() < staleMs) return null
        building.claimedAt = now
        return copyReference(building)
      }
      const version = Math.max(0, ...field.map((reference) => reference.version)) + 1
      const made: StoredReference = {
        referenceId: nextReference++,
        ...key,
        version,
        status: 'building',
        objectKey: null,
        frames: 0,
        fwhm: null,
        imageIds: [],
        createdAt: now,
        claimedAt: now,
      }
      references.push(made)
      return copyReference(made)
    },

    async finishReference(referenceId, finish: ReferenceFinish) {
      const found = references.find((reference) => reference.referenceId === referenceId)
      if (found === undefined) throw new NotFoundError(`reference ${referenceId} does not exist`)
      // Only a claim is finished: the first finish wins, and a repeat returns what it recorded.
      if (found.status !== 'building') return copyReference(found)
      Object.assign(found, {
        status: 'ready',
        objectKey: finish.objectKey,
        frames: finish.frames,
        fwhm: finish.fwhm,
        imageIds: [...finish.imageIds],
      })
      return copyReference(found)
    },

    async recordDiffimRuns(batch: readonly DiffimRun[]) {
      // Checked before anything is written: the batch is all or nothing, as the SQL transaction is.
      for (const run of batch) {
        if (!references.some((reference) => reference.referenceId === run.referenceId)) {
          throw new NotFoundError(`diffim run of image ${run.imageId}: reference ${run.referenceId} does not exist`)
        }
      }
      const createdAt = new Date()
      for (const run of batch) {
        if (runs.has(run.imageId)) continue
        const stream = references.find((reference) => reference.referenceId === run.referenceId)!.stream
        runs.set(run.imageId, runRecord({ ...run, stream, createdAt }))
      }
    },

    async getDiffimRun(imageId) {
      const run = runs.get(imageId)
      return run === undefined ? null : runRecord(run)
    },

    async fakeRecoveries(filter) {
      const out: (FakeRecord & { imageId: number; stream: string })[] = []
      const sorted = [...runs.values()].sort((a, b) => a.imageId - b.imageId)
      for (const run of sorted) {
        if (filter.stream !== undefined && run.stream !== filter.stream) continue
        if (filter.since !== undefined && run.createdAt.getTime() < filter.since.getTime()) continue
        for (const fake of run.fakes) out.push({ ...fake, imageId: run.imageId, stream: run.stream })
      }
      return out
    },

    async recordDerivatives(batch: readonly NewDerivative[]) {
      for (const derivative of batch) {
        if (derivative.name === '') throw new UsageError(`derivative of event ${derivative.imageEventId}: empty name`)
      }
      for (const derivative of batch) {
        const key = `${derivative.imageEventId}\u0000${derivative.name}`
        if (!derivatives.has(key)) derivatives.set(key, { ...derivative, derivativeId: nextDerivative++ })
      }
    },

    async listDerivatives(imageEventId) {
      return [...derivatives.values()]
        .filter((derivative) => derivative.imageEventId === imageEventId)
        .sort((a, b) => compareText(a.name, b.name))
        .map((derivative) => ({ ...derivative }))
    },
  }
}
