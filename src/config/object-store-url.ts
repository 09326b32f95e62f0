import path from 'node:path'
import type { ObjectStoreOptions } from '../adapters/backend-options.js'
import { assertValidObjectKey } from '../core/object-keys.js'
import { decode, invalid, localPath, type ParseContext } from './setting.js'

/** The store directory when IMGPIPE_OBJECT_STORE_URL is unset (or just `file:`), relative to the cwd. */
export const DEFAULT_STORE_DIR = 'data/objects'

/**
 * `file:<dir>`, `memory:` or `s3://bucket[/prefix][?endpoint=…&region=…&forcePathStyle=true&checksums=…]`
 * into the store adapter's options. AWS credentials never come from the URL, only from the AWS chain.
 */
export function objectStoreFromUrl(value: string, context: ParseContext): ObjectStoreOptions {
  if (value === 'memory:') return { kind: 'memory' }
  if (value.startsWith('file:')) {
    const rest = value.slice('file:'.length)
    if (rest === '') return { kind: 'file', dir: path.resolve(context.cwd, DEFAULT_STORE_DIR) }
    return { kind: 'file', dir: localPath(context, value, rest) }
  }
  const bad = (why: string): Error => invalid(context.variable, value, why)
  if (!value.startsWith('s3://')) throw bad('expected file:<dir>, s3://bucket[/prefix][?endpoint=...&region=...&forcePathStyle=true]')
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
  return { kind: 's3', bucket, prefix, endpoint, region: url.searchParams.get('region') ?? undefined, forcePathStyle, checksums }
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
