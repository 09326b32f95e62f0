import { catalogBackends } from '../../support/catalog-backends.js'
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
}
