import { assertValidObjectKey } from '../../core/object-keys.js'
import { redactUrl } from '../../core/redact-url.js'
import { decode, invalid, type UrlContext } from '../../core/setting-values.js'

/**
 * Where an S3 object store lives: the parts of `s3://bucket[/prefix][?endpoint=…]`. Credentials are not
 * options: they come only from the AWS SDK's default provider chain.
 */
export interface S3ObjectStoreOptions {
  bucket: string
  /** '' or a path ending with '/', prepended to every key. */
  prefix: string
  /** For S3-compatible servers (S3Proxy, MinIO, Ceph...); unset for AWS. */
  endpoint?: string | undefined
  region?: string | undefined
  forcePathStyle: boolean
  /** 'when_required' for servers that reject the SDK's default CRC checksums. */
  checksums: 'when_supported' | 'when_required'
}

/** `s3://bucket/prefix/ (endpoint …)`; an endpoint is redacted, since a mistaken one may carry a secret. */
export function describeS3ObjectStore(options: Pick<S3ObjectStoreOptions, 'bucket' | 'prefix' | 'endpoint'>): string {
  const prefix = options.prefix === '' || options.prefix.endsWith('/') ? options.prefix : `${options.prefix}/`
  const endpoint = options.endpoint === undefined ? '' : ` (endpoint ${redactUrl(options.endpoint)})`
  return `s3://${options.bucket}/${prefix}${endpoint}`
}

/**
 * `s3://bucket[/prefix][?endpoint=…&region=…&forcePathStyle=true&checksums=…]` into the adapter's options.
 * AWS credentials never come from the URL, only from the AWS chain.
 */
export function s3FromUrl(value: string, context: UrlContext): S3ObjectStoreOptions {
  const bad = (why: string): Error => invalid(context.variable, value, why)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw bad('not a URL')
  }
  const noCredentials = 'credentials come from the AWS chain (AWS_ACCESS_KEY_ID, profile, role), not the URL'
  if (url.username !== '' || url.password !== '') throw bad(noCredentials)
  const bucket = url.hostname
  if (!isBucketName(bucket)) throw bad(`${JSON.stringify(bucket)} is not a valid bucket name`)
  if (url.port !== '') throw bad('no port after the bucket name; give the server as ?endpoint=http://host:port')
  // URL parsing removes "." and ".." segments (s3://bucket/../x would become prefix x/): refuse them in the raw text.
  const rawPath = value.slice('s3://'.length).split(/[?#]/, 1)[0] ?? ''
  if (rawPath.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment))) {
    throw bad('the prefix must not contain "." or ".." segments')
  }
  const prefixPath = decode(context, value, url.pathname.replace(/^\/+/, '').replace(/\/+$/, ''))
  if (prefixPath !== '') {
    try {
      assertValidObjectKey(prefixPath)
    } catch (error) {
      throw bad(`bad prefix: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  const prefix = prefixPath === '' ? '' : `${prefixPath}/`
  const known = new Set(['endpoint', 'region', 'forcePathStyle', 'checksums'])
  for (const key of url.searchParams.keys()) {
    if (!known.has(key)) throw bad(`unknown option ${JSON.stringify(key)} (known: ${[...known].join(', ')})`)
  }
  const endpoint = url.searchParams.get('endpoint') ?? undefined
  if (endpoint !== undefined) {
    let parsed: URL | undefined
    try {
      parsed = new URL(endpoint)
    } catch {
      parsed = undefined
    }
    if (
      parsed === undefined ||
      (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') ||
      !/^https?:\/\/[^\s/?#]+(?:[/?#]\S*)?$/.test(endpoint)
    ) {
      throw bad('endpoint must be an http(s) URL such as http://127.0.0.1:9000')
    }
    if (parsed.username !== '' || parsed.password !== '') throw bad(noCredentials)
  }
  const forcePathStyle = parseBoolean(url.searchParams.get('forcePathStyle'))
  if (forcePathStyle === null) throw bad('forcePathStyle must be true or false')
  const checksums = url.searchParams.get('checksums') ?? 'when_supported'
  if (checksums !== 'when_supported' && checksums !== 'when_required') throw bad('checksums must be when_supported or when_required')
  return { bucket, prefix, endpoint, region: url.searchParams.get('region') ?? undefined, forcePathStyle, checksums }
}

/** S3's rules: 3-63 of a-z 0-9 . -, a letter or digit at each end, no "..", not an IPv4 address. */
function isBucketName(bucket: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) && !bucket.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(bucket)
}

function parseBoolean(value: string | null): boolean | null {
  if (value === null || value === 'false' || value === '0') return false
  if (value === 'true' || value === '1' || value === '') return true
  return null
}
