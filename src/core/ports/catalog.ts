import type { AlertLedger } from './alert-ledger.js'
import type { AnalysisLedger } from './analysis-ledger.js'
import type { CatalogAdmin } from './catalog-admin.js'
import type { CatalogReports } from './catalog-reports.js'
import type { ObjectLedger, ObjectLedgerDeps } from './object-ledger.js'
import type { ReceiveLedger } from './receive-ledger.js'
import type { ScienceLedger } from './science-ledger.js'
import type { Subscriptions } from './subscriptions.js'

// The types of the narrow ports, where callers of the whole catalog have always found them.
export { CATALOG_TABLES } from './catalog-admin.js'
export type { CatalogTable, ReanalysisFilter } from './catalog-admin.js'
export type { AnalysisWrite, AnalysisWriteOutcome } from './analysis-ledger.js'
export type { IngestedLookup } from './receive-ledger.js'
export type { AlertListFilter, StreamActivity, StreamListOptions, StreamPoint, StreamSummary } from './catalog-reports.js'
export type { Page } from './page.js'

/**
 * The relational catalog: image metadata, image events and alerts, as one database serves them. Only whoever opens
 * the database (openBackends, the CLI's withBackends, tests) holds the whole of it; each stage, command and web
 * module takes the narrow port it uses: {@link ReceiveLedger}, {@link AnalysisLedger}, {@link AlertLedger},
 * {@link CatalogReports}, {@link CatalogAdmin}, and the subscriptions' ports on the same database.
 *
 * Every write is idempotent on a natural key so that an at-least-once transport yields exactly-once rows:
 * an image on (stream, image_num), an event on image_id, an alert on image_event_id. Re-running a write
 * returns the existing row with `created: false` instead of failing or duplicating.
 *
 * Implementations: SQLite, MySQL/MariaDB and PostgreSQL through one Kysely query module.
 *
 * Leaves out: arbitrary queries, schema customisation, and cross-row transactions other than
 * {@link AnalysisLedger.recordAnalyses}; callers never see SQL or connections. Transient failures surface as
 * `CatalogUnavailableError` (canRetry), constraint violations other than the idempotency keys as
 * `CatalogConflictError`.
 */
export interface Catalog extends ReceiveLedger, AnalysisLedger, AlertLedger, CatalogReports, CatalogAdmin {
  /** Subscribers, subscriptions and alert receivers, on the same database. */
  readonly subscriptions: Subscriptions
  /** Objects, their detections and watchlists, on the same database (the pure sky functions injected). */
  objectLedger(deps: ObjectLedgerDeps): ObjectLedger
  /** References, difference-imaging runs with their fakes, derivative images and event types, on the same database. */
  scienceLedger(): ScienceLedger
}
