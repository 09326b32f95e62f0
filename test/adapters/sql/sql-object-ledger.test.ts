import { objectLedgerDeps } from '../../../src/analysis/association/ledger-deps.js'
import { catalogBackends } from '../../support/catalog-backends.js'
import { objectLedgerContract } from '../../contracts/object-ledger-contract.js'

for (const backend of catalogBackends()) {
  objectLedgerContract(backend.name, async () => {
    const opened = await backend.open()
    await opened.catalog.migrate()
    const other = opened.reopen?.()
    return {
      ledger: opened.catalog.objectLedger(objectLedgerDeps),
      ...(other === undefined ? {} : { second: other.objectLedger(objectLedgerDeps) }),
      async cleanup() {
        await other?.close()
        await opened.cleanup()
      },
    }
  })
}
