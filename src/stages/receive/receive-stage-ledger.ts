import type { SingularCatalogMethods } from '../../core/ports/catalog.js'
import type { ReceiveLedger } from '../../core/ports/receive-ledger.js'

/**
 * What the receive stage uses of the catalog. The claim-alone retry (claim-window.ts) and the storing recovery
 * (storing-recovery.ts) still call two singular writes; when issue 15's removal of the singular methods moves them
 * onto the batch ones, this is `ReceiveLedger` and the file goes.
 */
export type ReceiveStageLedger = ReceiveLedger & Pick<SingularCatalogMethods, 'insertImage' | 'finishStoringImage'>
