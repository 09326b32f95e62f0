import type { AlertPacketSource } from '../core/ports/alert-packet-source.js'
import type { Bus } from '../core/ports/bus.js'
import type { DeliveryChannel } from '../core/ports/delivery-channel.js'
import type { SmtpChannelOptions } from './smtp/smtp-channel.js'

/** What the channels take from the configuration (its `delivery` part has these fields). */
export interface SubscriptionChannelsOptions {
  /** Allow webhook and Slack targets on loopback/private addresses (tests, intranets). */
  allowPrivate: boolean
  /** One attempt's time limit, which the SMTP channel applies to each command. */
  timeoutMs: number
  /** Undefined: no e-mail channel. */
  smtp: Omit<SmtpChannelOptions, 'timeoutMs'> | undefined
}

/** `env:NAME` reads the variable at send time; any other value is the secret itself (`whsec_…`). */
export function resolveSecret(reference: string, env: Record<string, string | undefined> = process.env): string {
  if (reference.startsWith('env:')) return env[reference.slice('env:'.length)] ?? ''
  return reference
}

/**
 * The subscription channels this process can send on, by kind. E-mail only when IMGPIPE_SMTP_URL is set; Avro
 * kafka-topic subscriptions only with `packets` (the caller builds them when a schema registry is configured).
 */
export async function openSubscriptionChannels(
  config: SubscriptionChannelsOptions,
  bus: Bus,
  partitions: number,
  packets?: AlertPacketSource,
): Promise<Map<string, DeliveryChannel>> {
  const channels = new Map<string, DeliveryChannel>()
  const { WebhookChannel } = await import('./webhook/webhook-channel.js')
  const { SlackChannel } = await import('./slack/slack-channel.js')
  const { KafkaTopicChannel } = await import('./kafka-topic/kafka-topic-channel.js')
  channels.set('webhook', new WebhookChannel({ allowPrivate: config.allowPrivate, resolveSecret: (reference) => resolveSecret(reference) }))
  channels.set('slack', new SlackChannel({ allowPrivate: config.allowPrivate }))
  channels.set('kafka-topic', new KafkaTopicChannel(bus, { partitions, packets }))
  if (config.smtp !== undefined) {
    const { SmtpChannel } = await import('./smtp/smtp-channel.js')
    channels.set('smtp', new SmtpChannel({ ...config.smtp, timeoutMs: config.timeoutMs }))
  }
  return channels
}

export async function closeChannels(channels: Map<string, DeliveryChannel>): Promise<void> {
  await Promise.allSettled([...channels.values()].map((channel) => channel.close()))
}
