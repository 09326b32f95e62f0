import { redactUrl } from '../../core/redact-url.js'

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
