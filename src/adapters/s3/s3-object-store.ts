import { Readable } from 'node:stream'
/*
 * S3 API calls used (what an IAM policy or an S3-compatible server must allow / implement):
 *   PutObject, GetObject, HeadObject, ListObjectsV2, DeleteObjects  (s3:PutObject, s3:GetObject,
 *   s3:ListBucket, s3:DeleteObject)
 *   HeadBucket, CreateBucket                                        (ensureReady only: s3:ListBucket,
 *   s3:CreateBucket; a pre-created bucket needs no CreateBucket permission)
 */
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import type { BucketLocationConstraint, S3ClientConfig } from '@aws-sdk/client-s3'
import {
  ClosedError,
  ConfigError,
  isImgpipeError,
  ObjectKeyInvalidError,
  ObjectNotFoundError,
  StoreUnavailableError,
} from '../../core/errors.js'
import { errorCode, errorCodeKind } from '../../core/error-chain.js'
import { assertValidObjectKey, assertValidPrefix, contentTypeForKey } from '../../core/object-keys.js'
import type { ObjectStore, StoredObject } from '../../core/ports/object-store.js'
import { describeS3ObjectStore, type S3ObjectStoreOptions } from './s3-options.js'

/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000

/**
 * Objects in an S3 bucket under a prefix. Credentials come only from the AWS SDK's default provider
 * chain (environment, shared config/profile, web identity, container or instance role): they are never
 * passed in, stored or printed here.
 */
export class S3ObjectStore implements ObjectStore {
  readonly description: string
  private readonly client: S3Client
  private readonly bucket: string
  private readonly prefix: string
  private closed = false

  constructor(options: S3ObjectStoreOptions) {
    const prefix = options.prefix === '' || options.prefix.endsWith('/') ? options.prefix : `${options.prefix}/`
    try {
      assertValidPrefix(prefix)
    } catch (error) {
      throw new ConfigError(`S3 key prefix ${JSON.stringify(options.prefix)} is invalid: ${(error as Error).message}`)
    }
    this.bucket = options.bucket
    this.prefix = prefix
    this.description = describeS3ObjectStore(options)
    const config: S3ClientConfig = {
      forcePathStyle: options.forcePathStyle,
      region: options.region ?? (options.endpoint === undefined ? undefined : chainRegionOr('us-east-1')),
      // Without timeouts a server that accepts the connection and then stalls would hang a stage forever.
      // An idle-socket limit rather than a total one, so that a large image on a slow link still completes.
      requestHandler: { connectionTimeout: 10_000, socketTimeout: 60_000 },
    }
    if (options.endpoint !== undefined) config.endpoint = options.endpoint
    if (options.checksums === 'when_required') {
      config.requestChecksumCalculation = 'WHEN_REQUIRED'
      config.responseChecksumValidation = 'WHEN_REQUIRED'
    }
    this.client = new S3Client(config)
  }

  async put(key: string, bytes: Uint8Array, options?: { contentType?: string }): Promise<void> {
    const objectKey = this.objectKey(key)
    this.checkOpen()
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType: options?.contentType ?? contentTypeForKey(key),
        }),
      )
    } catch (error) {
      throw this.toStoreError(error, 'write', key)
    }
  }

  async get(key: string): Promise<Buffer> {
    const objectKey = this.objectKey(key)
    this.checkOpen()
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }))
      if (response.Body === undefined) return Buffer.alloc(0)
      const bytes = await response.Body.transformToByteArray()
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    } catch (error) {
      if (s3ErrorName(error) === 'NoSuchKey') throw new ObjectNotFoundError(key, { cause: describeS3Error(error) })
      throw this.toStoreError(error, 'read', key)
    }
  }

  async getStream(key: string): Promise<{ stream: Readable; size: number; lastModified: Date | null }> {
    const objectKey = this.objectKey(key)
    this.checkOpen()
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }))
      // In Node the SDK's body is the HTTP response itself, a Readable.
      const body = response.Body as unknown as Readable | undefined
      return { stream: body ?? Readable.from([]), size: response.ContentLength ?? 0, lastModified: response.LastModified ?? null }
    } catch (error) {
      if (s3ErrorName(error) === 'NoSuchKey') throw new ObjectNotFoundError(key, { cause: describeS3Error(error) })
      throw this.toStoreError(error, 'read', key)
    }
  }

  async stat(key: string): Promise<StoredObject | null> {
    const objectKey = this.objectKey(key)
    this.checkOpen()
    try {
      const response = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }))
      return { key, size: response.ContentLength ?? 0, lastModified: response.LastModified ?? null }
    } catch (error) {
      // HEAD responses have no body, so a missing key and a missing bucket both arrive as a bare 404.
      if (s3ErrorName(error) === 'NotFound' || s3ErrorName(error) === 'NoSuchKey') return null
      throw this.toStoreError(error, 'stat', key)
    }
  }

  async *list(prefix = ''): AsyncIterable<StoredObject> {
    assertValidPrefix(prefix)
    this.checkOpen()
    let continuationToken: string | undefined
    do {
      let page
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: continuationToken }),
        )
      } catch (error) {
        throw this.toStoreError(error, 'list', prefix)
      }
      for (const object of page.Contents ?? []) {
        const key = object.Key
        // Keys ending in '/' are "folder" markers some consoles create; they are not objects of ours.
        if (key === undefined || !key.startsWith(this.prefix) || key.endsWith('/')) continue
        yield { key: key.slice(this.prefix.length), size: object.Size ?? 0, lastModified: object.LastModified ?? null }
      }
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (continuationToken !== undefined)
  }

  async delete(keys: readonly string[]): Promise<void> {
    const objectKeys = keys.map((key) => this.objectKey(key))
    this.checkOpen()
    for (let index = 0; index < objectKeys.length; index += DELETE_BATCH) {
      const batch = objectKeys.slice(index, index + DELETE_BATCH)
      let errors
      try {
        const response = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        )
        // DeleteObjects answers 200 even when single keys failed; those are listed in Errors.
        errors = (response.Errors ?? []).filter((entry) => entry.Code !== 'NoSuchKey')
      } catch (error) {
        throw this.toStoreError(error, 'delete', batch.length === 1 ? (keys[index] ?? '') : `${batch.length} keys`)
      }
      const first = errors[0]
      if (first !== undefined) {
        const failure = Object.assign(new Error(first.Message ?? first.Code ?? 'unknown error'), { name: first.Code ?? 'Error' })
        const key = (first.Key ?? '').slice(this.prefix.length)
        const mapped = this.toStoreError(failure, 'delete', key)
        throw new StoreUnavailableError(`${errors.length} of ${batch.length} deletes failed; first: ${mapped.message}`, {
          cause: failure,
          canRetry: isImgpipeError(mapped) ? mapped.canRetry : false,
        })
      }
    }
  }

  async ensureReady(): Promise<void> {
    this.checkOpen()
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }))
      return
    } catch (error) {
      if (!isMissing(error)) throw this.toStoreError(error, 'check bucket', '')
    }
    try {
      const region = await this.client.config.region()
      // us-east-1 is the default location and is rejected as an explicit LocationConstraint.
      const location = region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint }
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket, CreateBucketConfiguration: location }))
    } catch (error) {
      // Another process of ours (or an earlier run) created it first: that is the state we wanted.
      if (s3ErrorName(error) === 'BucketAlreadyOwnedByYou') return
      throw this.toStoreError(error, 'create bucket', '')
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.client.destroy()
  }

  private objectKey(key: string): string {
    assertValidObjectKey(key)
    const objectKey = this.prefix + key
    if (Buffer.byteLength(objectKey) > 1024) throw new ObjectKeyInvalidError(key, 'longer than 1024 bytes with the store prefix')
    return objectKey
  }

  private checkOpen(): void {
    if (this.closed) throw new ClosedError(`object store ${this.description}`)
  }

  private toStoreError(error: unknown, operation: string, key: string): Error {
    if (isImgpipeError(error)) return error
    const { message, canRetry } = classify(error, { bucket: this.bucket, store: this.description })
    const target = key === '' ? this.description : `"${key}" in ${this.description}`
    return new StoreUnavailableError(`cannot ${operation} ${target}: ${message}`, { cause: describeS3Error(error), canRetry })
  }
}

/**
 * A region provider for S3-compatible endpoints: the chain's region (AWS_REGION, profile) when it has
 * one, otherwise `fallback`, since such servers rarely care but the SDK refuses to sign without one.
 */
function chainRegionOr(fallback: string): () => Promise<string> {
  let resolved: Promise<string> | undefined
  return () => {
    resolved ??= (async () => {
      // A bare client runs the SDK's own region chain; it makes no request.
      const probe = new S3Client({})
      try {
        return await probe.config.region()
      } catch {
        return fallback
      } finally {
        probe.destroy()
      }
    })()
    return resolved
  }
}

interface Classified {
  message: string
  canRetry: boolean
}

const ACCESS_ERRORS = new Set([
  'AccessDenied',
  'Forbidden',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidSecurity',
  'CredentialsProviderError',
])
const REGION_ERRORS = new Set(['PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException', 'Redirect'])
const TRANSIENT_ERRORS = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
])

/** Decides what the user reads and whether retrying can help, from an SDK or network error. */
function classify(error: unknown, where: { bucket: string; store: string }): Classified {
  const name = s3ErrorName(error)
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode
  const code = errorCode(error)
  const text = error instanceof Error ? error.message : String(error)
  if (name === 'NoSuchBucket') {
    return {
      canRetry: false,
      message: `bucket "${where.bucket}" does not exist (imgpipe creates it when a pipeline stage starts; or check the bucket name in the store URL)`,
    }
  }
  if (ACCESS_ERRORS.has(name) || status === 403) {
    return {
      canRetry: false,
      message:
        `access denied (${name}): check the AWS credentials that the SDK's default chain finds ` +
        `(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity or instance role) ` +
        `and that they may use bucket "${where.bucket}"`,
    }
  }
  if (text.includes('Region is missing')) {
    return { canRetry: false, message: 'no AWS region: set AWS_REGION or add ?region=... to the store URL' }
  }
  if (REGION_ERRORS.has(name) || status === 301) {
    return { canRetry: false, message: `bucket "${where.bucket}" is in another region (${name}): set ?region=... in the store URL` }
  }
  if (errorCodeKind(code) === 'network') {
    return { canRetry: true, message: `cannot reach the S3 endpoint (${code})` }
  }
  if (TRANSIENT_ERRORS.has(name) || status === 429 || status === 500 || status === 502 || status === 503 || status === 504) {
    return { canRetry: true, message: `${name}${status === undefined ? '' : ` (HTTP ${status})`}: ${text}` }
  }
  if (status === 501 || name === 'NotImplemented') {
    return {
      canRetry: false,
      message: `the server does not implement this request (${text}); for an older S3-compatible server try ?checksums=when_required`,
    }
  }
  return { canRetry: false, message: `${name}${status === undefined ? '' : ` (HTTP ${status})`}: ${text}` }
}

/** The S3 error code (`NoSuchKey`, `AccessDenied`...) or the JS error name. */
function s3ErrorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error'
}

/** HeadBucket's bare 404 or an explicit NoSuchBucket: the bucket is not there (yet). */
function isMissing(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode
  return s3ErrorName(error) === 'NotFound' || s3ErrorName(error) === 'NoSuchBucket' || status === 404
}

/**
 * A copy of an SDK error that keeps name, message, code and HTTP status only. SDK exceptions carry the
 * raw response and, for signature errors, fields such as AWSAccessKeyId and StringToSign, which must not
 * travel into logs through `cause`.
 */
function describeS3Error(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error))
  const copy = new Error(error.message)
  copy.name = error.name
  const code = (error as { code?: unknown }).code
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
  if (typeof code === 'string') Object.assign(copy, { code })
  if (status !== undefined) Object.assign(copy, { httpStatusCode: status })
  return copy
}
