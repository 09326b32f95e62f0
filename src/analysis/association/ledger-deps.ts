import type { ObjectLedgerDeps } from '../../core/ports/object-ledger.js'
import { coneRanges, skyKey } from '../sky-index/sky-zones.js'
import { associate } from './associate.js'

/** The pure sky index and association, as an ObjectLedger adapter takes them. */
export const objectLedgerDeps: ObjectLedgerDeps = { skyKey, coneRanges, associate }
