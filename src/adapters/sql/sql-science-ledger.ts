import type { Kysely } from 'kysely'
import type { ScienceLedger } from '../../core/ports/science-ledger.js'
import type { CatalogDatabase } from './catalog-schema.js'
import type { SqlDialectKind } from './sql-dialect.js'
import type { DriverErrorClassifier } from './sql-errors.js'

/** What the SQL catalog shares with its ScienceLedger. */
export interface ScienceLedgerBackend {
  readonly kind: SqlDialectKind
  readonly description: string
  readonly db: Kysely<CatalogDatabase>
  readonly classifyError: DriverErrorClassifier
  isClosed(): boolean
}

// TODO(sci-ledger): the SQL implementation on migration 0006 follows; every method rejects until then.
export function createSqlScienceLedger(_backend: ScienceLedgerBackend): ScienceLedger {
  const pending = (name: string) => () => Promise.reject(new Error(`scienceLedger.${name}: not implemented yet`))
  return {
    eventTypes: pending('eventTypes'),
    latestReference: pending('latestReference'),
    getReference: pending('getReference'),
    listReferences: pending('listReferences'),
    claimReference: pending('claimReference'),
    finishReference: pending('finishReference'),
    recordDiffimRuns: pending('recordDiffimRuns'),
    getDiffimRun: pending('getDiffimRun'),
    fakeRecoveries: pending('fakeRecoveries'),
    recordDerivatives: pending('recordDerivatives'),
    listDerivatives: pending('listDerivatives'),
  }
}
