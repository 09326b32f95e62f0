import type { Catalog } from '../../core/ports/catalog.js'
import type { ReceiveLedger } from '../../core/ports/receive-ledger.js'

/** The singular writes the receive stage still calls before issue 15's removal of them, as far as Catalog has them. */
type SingularReceiveWrites = Extract<keyof Catalog, 'insertImage' | 'finishStoringImage'>

/**
 * What the receive stage uses of the catalog. The claim-alone retry (claim-window.ts) and the storing recovery
 * (storing-recovery.ts) called two singular writes until they moved onto the batch ones; the Extract makes this
 * exactly `ReceiveLedger` once Catalog no longer has them, on whichever branch lands first. Then replace it by
 * `ReceiveLedger` and delete this file.
 */
export type ReceiveStageLedger = ReceiveLedger & Pick<Catalog, SingularReceiveWrites>
