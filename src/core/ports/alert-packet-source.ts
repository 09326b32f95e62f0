import type { AlertItem } from './delivery-channel.js'

/** One encoded alert packet and the Kafka key that keeps one object's alerts in order (its partition). */
export interface EncodedAlertPacket {
  /** The object id (decimal), or the detection id for a detection with no object. */
  key: string
  /** The Confluent wire format: byte 0, the 4-byte schema registry id, the Avro body. */
  value: Buffer
}

/**
 * Where a channel gets the Avro packets of an alert (the kafka-topic channel's `avro` format): one packet per
 * detection of the alert's event (Rubin: an alert per DIASource), with the object's earlier detections, the object
 * and the three stamps. Built in `src/alerts/` and handed to the channel by the composition root, since an adapter
 * cannot import the codec or the ledgers itself.
 */
export interface AlertPacketSource {
  /**
   * The packets of one alert, registered under the topic's subject (`<topic>-value`) and framed with its id; empty
   * when the alert's event has no detections (pixel-difference events).
   */
  packetsOf(alert: AlertItem, topic: string): Promise<EncodedAlertPacket[]>
}
