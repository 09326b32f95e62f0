import { catalogBackends } from '../../support/catalog-backends.js'
import { subscriptionsContract } from '../../contracts/subscriptions-contract.js'

for (const backend of catalogBackends()) subscriptionsContract(backend.name, backend.open)
