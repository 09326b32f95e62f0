import { createMemoryScienceLedger } from '../../../src/adapters/memory/memory-science-ledger.js'
import { scienceLedgerContract } from '../../contracts/science-ledger-contract.js'

scienceLedgerContract('memory', async () => ({ ledger: createMemoryScienceLedger(), cleanup: async () => {} }))
