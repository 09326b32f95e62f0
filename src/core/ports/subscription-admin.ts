import type { NewSubscription, SubscriberRecord, SubscriptionRecord } from './subscriptions.js'

/**
 * Subscribers and their subscriptions: who wants which alerts, and how they are sent. For `imgpipe subscriber`,
 * `imgpipe subscription` and the web's names of receivers; the delivery worker reads one subscription per send.
 *
 * Leaves out the receiver rows (see DeliveryLedger), except that removing a subscriber or a subscription
 * removes its receivers too.
 */
export interface SubscriptionAdmin {
  addSubscriber(subscriber: { name: string; contact: string | null }): Promise<SubscriberRecord>
  listSubscribers(): Promise<SubscriberRecord[]>
  /** By number or name; also removes its subscriptions and their receivers. False when there was none. */
  removeSubscriber(idOrName: number | string): Promise<boolean>
  findSubscriber(idOrName: number | string): Promise<SubscriberRecord | null>

  addSubscription(subscription: NewSubscription): Promise<SubscriptionRecord>
  listSubscriptions(options?: { enabledOnly?: boolean }): Promise<SubscriptionRecord[]>
  findSubscription(idOrName: number | string): Promise<SubscriptionRecord | null>
  /** Also removes its receiver rows. False when there was none. */
  removeSubscription(idOrName: number | string): Promise<boolean>
  setSubscriptionEnabled(idOrName: number | string, enabled: boolean): Promise<boolean>
}
