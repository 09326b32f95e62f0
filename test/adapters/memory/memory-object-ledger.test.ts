import { createMemoryObjectLedger } from '../../../src/adapters/memory/memory-object-ledger.js'
import { objectLedgerDeps } from '../../../src/analysis/association/ledger-deps.js'
import { objectLedgerContract } from '../../contracts/object-ledger-contract.js'

objectLedgerContract('memory', async () => ({ ledger: createMemoryObjectLedger(objectLedgerDeps), cleanup: async () => {} }))
