import { describe } from 'vitest'
import { busLagContract } from '../contracts/bus-lag-contract.js'
import { kafkaBackend, kafkaTestBrokers, memoryBackend } from '../support/bus-backends.js'

busLagContract('memory', memoryBackend.open)

const brokers = kafkaTestBrokers()
if (brokers === null) describe.skip('Bus.consumerLag contract: kafka (IMGPIPE_TEST_KAFKA_URL is not set)', () => {})
else busLagContract('kafka', kafkaBackend(brokers).open)
