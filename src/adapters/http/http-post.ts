import { lookup as dnsLookup } from 'node:dns'
import type { LookupAddress, LookupOptions } from 'node:dns'
import http from 'node:http'
import https from 'node:https'
import { BlockList, isIP } from 'node:net'
import { DeliveryFailedError } from '../../core/errors.js'

/** What an HTTP target answered: status, a bounded piece of its body, and its Retry-After. */
export interface HttpAnswer {
  status: number
  body: string
  retryAfterMs: number | null
}

export interface HttpPostOptions {
  /** Loopback, private, link-local and unique-local addresses are refused unless this is true. */
  allowPrivate: boolean
  /** Bytes of the response body kept (the rest is discarded unread). */
  maxResponseBytes: number
  signal: AbortSignal
}

const PRIVATE = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4')
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6')
}

/** True for addresses a public target must not resolve to (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return PRIVATE.check(mapped[1]!, 'ipv4')
  const family = isIP(address)
  if (family === 0) return true
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

/** Only http(s) URLs without credentials in them; everything else is a permanent configuration error. */
export function assertHttpTarget(target: string): URL {
  let url: URL
  try {
    url = new URL(target)
  } catch {
    throw new DeliveryFailedError('target is not a URL', { canRetry: false })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new DeliveryFailedError(`target scheme ${url.protocol} is not http(s)`, { canRetry: false })
  if (url.username !== '' || url.password !== '')
    throw new DeliveryFailedError('target URL must not carry credentials', { canRetry: false })
  return url
}

/**
 * The address check runs inside the connection's own DNS lookup, so the address checked is the address
 * connected to (a name that resolves differently a second time cannot slip a private address through).
 */
function guardedLookup(allowPrivate: boolean) {
  return (
    hostname: string,
    options: LookupOptions,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) return callback(error, '')
      const list = addresses
      const refused = !allowPrivate ? list.find((entry) => isPrivateAddress(entry.address)) : undefined
      if (refused !== undefined) {
        const denied: NodeJS.ErrnoException = new Error(
          `${hostname} resolves to a private address (${refused.address}); IMGPIPE_DELIVERY_ALLOW_PRIVATE allows it`,
        )
        denied.code = 'EPRIVATE'
        return callback(denied, '')
      }
      if (options.all === true) return callback(null, list)
      const first = list[0]
      if (first === undefined) return callback(new Error(`${hostname} has no address`), '')
      callback(null, first.address, first.family)
    })
  }
}

export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined || value.trim() === '') return null
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}

/**
 * POSTs `body` and returns the answer; redirects are not followed (a 3xx is an answer like any other).
 * Network failures throw a retryable DeliveryFailedError; a refused private address a permanent one.
 */
export function httpPost(url: URL, body: string, headers: Record<string, string>, options: HttpPostOptions): Promise<HttpAnswer> {
  const literal = url.hostname.replace(/^\[|\]$/g, '')
  if (!options.allowPrivate && isIP(literal) !== 0 && isPrivateAddress(literal)) {
    return Promise.reject(
      new DeliveryFailedError(`target ${literal} is a private address; IMGPIPE_DELIVERY_ALLOW_PRIVATE allows it`, { canRetry: false }),
    )
  }
  const client = url.protocol === 'https:' ? https : http
  return new Promise<HttpAnswer>((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(options.allowPrivate),
        signal: options.signal,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = []
        let kept = 0
        response.on('data', (chunk: Buffer) => {
          if (kept >= options.maxResponseBytes) return
          const piece = chunk.subarray(0, options.maxResponseBytes - kept)
          chunks.push(piece)
          kept += piece.length
          if (kept >= options.maxResponseBytes) response.destroy()
        })
        const finish = (): void =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            retryAfterMs: parseRetryAfter(response.headers['retry-after']),
          })
        response.on('end', finish)
        response.on('close', finish)
        response.on('error', () => finish())
      },
    )
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPRIVATE') reject(new DeliveryFailedError(error.message, { canRetry: false, cause: error }))
      else reject(new DeliveryFailedError(`POST ${url.host} failed: ${error.code ?? error.message}`, { cause: error }))
    })
    request.end(body)
  })
}

/** 2xx is success; 408, 429 and 5xx are worth retrying; any other answer is a permanent refusal. */
export function assertAccepted(answer: HttpAnswer, what: string): void {
  const { status } = answer
  if (status >= 200 && status < 300) return
  const canRetry = status === 408 || status === 429 || status >= 500
  const snippet = answer.body.replace(/\s+/g, ' ').slice(0, 200)
  throw new DeliveryFailedError(`${what} answered ${status}${snippet === '' ? '' : `: ${snippet}`}`, {
    canRetry,
    responseCode: status,
    ...(answer.retryAfterMs === null ? {} : { retryAfterMs: answer.retryAfterMs }),
  })
}
