import type { AlertFilter, ChannelKind, SubscriptionRecord } from '../core/ports/subscriptions.js'
import { CHANNEL_KINDS } from '../core/ports/subscriptions.js'
import { UsageError } from '../core/errors.js'
import { isPrivateAddress } from '../adapters/http/http-post.js'
import { parseMailTarget } from '../adapters/smtp/smtp-channel.js'
import { parseKafkaTarget } from '../adapters/kafka-topic/kafka-topic-channel.js'
import { isIP } from 'node:net'

/** `whsec_…` secrets show their last 4 characters; `env:NAME` references are not secret and show as they are. */
export function maskSecret(secret: string | null): string | null {
  if (secret === null) return null
  if (secret.startsWith('env:')) return secret
  return `${secret.startsWith('whsec_') ? 'whsec_' : ''}****${secret.length > 16 ? secret.slice(-4) : ''}`
}

/** Targets can hold secrets too (Slack's hook path, tokens in a query): show origin and path only, Slack's path masked. */
export function maskTarget(channel: string, target: string): string {
  if (channel !== 'webhook' && channel !== 'slack') return target
  try {
    const url = new URL(target)
    const path = channel === 'slack' ? `${url.pathname.split('/').slice(0, 2).join('/')}/****` : url.pathname
    return `${url.origin}${path}${url.search === '' ? '' : '?****'}`
  } catch {
    return '****'
  }
}

export function subscriptionJson(subscription: SubscriptionRecord): Record<string, unknown> {
  return {
    subscriptionId: subscription.subscriptionId,
    subscriberId: subscription.subscriberId,
    name: subscription.name,
    channel: subscription.channel,
    target: maskTarget(subscription.channel, subscription.target),
    secret: maskSecret(subscription.secret),
    filter: subscription.filter,
    enabled: subscription.enabled,
    createdAt: subscription.createdAt.toISOString(),
    updatedAt: subscription.updatedAt.toISOString(),
  }
}

export function parseChannel(value: string): ChannelKind {
  const kind = CHANNEL_KINDS.find((known) => known === value)
  if (kind === undefined) throw new UsageError(`--channel must be one of ${CHANNEL_KINDS.join(', ')}`)
  return kind
}

/**
 * Checked when a subscription is added: http(s) for webhook and Slack (no credentials in the URL, no literal
 * private address unless allowed), e-mail addresses for smtp, a topic name for kafka-topic. Names that
 * resolve to private addresses are refused again when sending.
 */
export function assertValidTarget(channel: ChannelKind, target: string, allowPrivate: boolean): void {
  // The channel's own check, the one it applies again when sending.
  if (channel === 'smtp' || channel === 'kafka-topic') {
    try {
      if (channel === 'smtp') parseMailTarget(target)
      else parseKafkaTarget(target)
    } catch (error) {
      throw new UsageError((error as Error).message)
    }
    return
  }
  let url: URL
  try {
    url = new URL(target)
  } catch {
    throw new UsageError(`--target must be an http(s) URL for ${channel}`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`--target must be http(s) for ${channel}, not ${url.protocol}`)
  if (url.username !== '' || url.password !== '') throw new UsageError('--target must not carry credentials; use --secret')
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const local = host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && isPrivateAddress(host))
  if (local && !allowPrivate)
    throw new UsageError(`--target ${host} is a private or loopback address; IMGPIPE_DELIVERY_ALLOW_PRIVATE=true allows it`)
}

interface FilterOptions {
  stream?: string[]
  eventType?: string[]
  minChanged?: number
  digest?: number
  watchlist?: string[]
  minSnr?: number
  minFlux?: number
  maxMag?: number
  minRealBogus?: number
  minDetections?: number
}

export function buildFilter(options: FilterOptions): AlertFilter {
  return {
    ...(options.stream === undefined || options.stream.length === 0 ? {} : { streams: options.stream }),
    ...(options.eventType === undefined || options.eventType.length === 0 ? {} : { eventTypes: options.eventType }),
    ...(options.minChanged === undefined ? {} : { minChangedFraction: options.minChanged }),
    ...(options.watchlist === undefined || options.watchlist.length === 0 ? {} : { watchlists: [...new Set(options.watchlist)] }),
    ...(options.minSnr === undefined ? {} : { minSnr: options.minSnr }),
    ...(options.minFlux === undefined ? {} : { minFlux: options.minFlux }),
    ...(options.maxMag === undefined ? {} : { maxMag: options.maxMag }),
    ...(options.minRealBogus === undefined ? {} : { minRealBogus: options.minRealBogus }),
    ...(options.minDetections === undefined ? {} : { minDetections: options.minDetections }),
    ...(options.digest === undefined ? {} : { digestSeconds: options.digest }),
  }
}

export function describeFilter(filter: AlertFilter): string {
  const parts = [
    filter.streams === undefined ? null : `streams ${filter.streams.join(',')}`,
    filter.eventTypes === undefined ? null : `types ${filter.eventTypes.join(',')}`,
    filter.minChangedFraction === undefined ? null : `changed >= ${filter.minChangedFraction}`,
    ...describeDetectionCriteria(filter),
    filter.digestSeconds === undefined ? null : `digest ${filter.digestSeconds}s`,
  ].filter((part) => part !== null)
  return parts.length === 0 ? 'all alerts' : parts.join('; ')
}

/** The detection criteria, shown together: one detection must meet them all. */
function describeDetectionCriteria(filter: AlertFilter): string[] {
  const parts = [
    filter.watchlists === undefined ? null : `in watchlist ${filter.watchlists.join(',')}`,
    filter.minSnr === undefined ? null : `|S/N| >= ${filter.minSnr}`,
    filter.minFlux === undefined ? null : `|flux| >= ${filter.minFlux} ADU`,
    filter.maxMag === undefined ? null : `mag <= ${filter.maxMag}`,
    filter.minRealBogus === undefined ? null : `real-bogus >= ${filter.minRealBogus}`,
    filter.minDetections === undefined ? null : `>= ${filter.minDetections} earlier detections`,
  ].filter((part) => part !== null)
  return parts.length === 0 ? [] : [`a detection ${parts.join(', ')}`]
}
