/**
 * A small typed client for the Confluent Schema Registry REST API (as served by Confluent's registry, Apicurio's
 * `/apis/ccompat/v7`, Redpanda and Karapace), over the global fetch. Only what alert producers and consumers need:
 * register a schema under a subject (→ its id), fetch a schema by id, and the subject housekeeping tests use.
 *
 * A schema never changes under an id, so id → schema answers are cached (bounded, least recently used first out),
 * and so are subject+schema → id answers: a producer registers once per process, not once per packet.
 */
import { BusUnavailableError, InternalError, NotFoundError } from '../../core/errors.js'
import { redactUrl } from '../../core/redact-url.js'

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'

export type CompatibilityLevel = 'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE'

export interface SchemaRegistryClientOptions {
  /** Base URL of the API, e.g. http://127.0.0.1:18081/apis/ccompat/v7; user:password in it become Basic auth. */
  url: string
  /** Most schemas kept by id (default 1000). */
  cacheSize?: number
  /** Per request (default 10 s). */
  timeoutMs?: number
  fetch?: typeof fetch
}

/** Confluent's error body: `{"error_code": 40403, "message": "..."}`. */
interface RegistryErrorBody {
  error_code?: number
  message?: string
}

export class SchemaRegistryClient {
  readonly #base: string
  readonly #auth: string | undefined
  readonly #cacheSize: number
  readonly #timeoutMs: number
  readonly #fetch: typeof fetch
  readonly #byId = new Map<number, string>()
  readonly #ids = new Map<string, number>()

  constructor(options: SchemaRegistryClientOptions) {
    const url = new URL(options.url)
    if (url.username !== '' || url.password !== '') {
      const user = decodeURIComponent(url.username)
      const password = decodeURIComponent(url.password)
      this.#auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
      url.username = ''
      url.password = ''
    }
    this.#base = url.toString().replace(/\/+$/, '')
    this.#cacheSize = Math.max(1, options.cacheSize ?? 1000)
    this.#timeoutMs = options.timeoutMs ?? 10_000
    this.#fetch = options.fetch ?? fetch
  }

  /** Registers an Avro schema under `subject` (or finds it, if already there) and returns its global id. */
  async register(subject: string, schema: string): Promise<number> {
    const key = `${subject}\u0000${schema}`
    const known = this.#ids.get(key)
    if (known !== undefined) return known
    const answer = await this.#request<{ id: number }>('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
      schema,
    })
    if (!Number.isInteger(answer.id)) throw new InternalError(`schema registry answered no id for subject ${subject}`)
    this.#ids.set(key, answer.id)
    this.#remember(answer.id, schema)
    return answer.id
  }

  /** The schema text registered under `id` (cached: ids are immutable). NotFoundError for an unknown id. */
  async getSchema(id: number): Promise<string> {
    const cached = this.#byId.get(id)
    if (cached !== undefined) {
      // Map order is insertion order: re-inserting makes this the most recently used.
      this.#byId.delete(id)
      this.#byId.set(id, cached)
      return cached
    }
    const answer = await this.#request<{ schema: string; schemaType?: string }>('GET', `/schemas/ids/${id}`)
    if (answer.schemaType !== undefined && answer.schemaType !== 'AVRO') {
      throw new InternalError(`schema ${id} is ${answer.schemaType}, not Avro`)
    }
    this.#remember(id, answer.schema)
    return answer.schema
  }

  async listSubjects(): Promise<string[]> {
    return this.#request<string[]>('GET', '/subjects')
  }

  /** Sets a subject's compatibility rule (Rubin runs FORWARD_TRANSITIVE within a major version). */
  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    await this.#request('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level })
  }

  /** Deletes a subject (soft, then with `permanent` for good); returns the versions deleted. */
  async deleteSubject(subject: string, options: { permanent?: boolean } = {}): Promise<number[]> {
    const path = `/subjects/${encodeURIComponent(subject)}`
    const soft = await this.#request<number[]>('DELETE', path)
    if (options.permanent !== true) return soft
    return this.#request<number[]>('DELETE', `${path}?permanent=true`)
  }

  #remember(id: number, schema: string): void {
    this.#byId.delete(id)
    this.#byId.set(id, schema)
    while (this.#byId.size > this.#cacheSize) this.#byId.delete(this.#byId.keys().next().value as number)
    if (this.#ids.size > this.#cacheSize) this.#ids.delete(this.#ids.keys().next().value as string)
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: `${CONTENT_TYPE}, application/json` }
    if (body !== undefined) headers['content-type'] = CONTENT_TYPE
    if (this.#auth !== undefined) headers['authorization'] = this.#auth
    const where = `${method} ${redactUrl(this.#base)}${path}`
    let response: Response
    try {
      response = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
    } catch (error) {
      throw new BusUnavailableError(`schema registry unreachable: ${where}`, { cause: error })
    }
    const text = await response.text()
    if (!response.ok) {
      let detail: RegistryErrorBody
      try {
        detail = JSON.parse(text) as RegistryErrorBody
      } catch {
        detail = { message: text.slice(0, 200) }
      }
      const message = `schema registry: ${where} answered ${response.status}${
        detail.error_code === undefined ? '' : ` (error ${detail.error_code})`
      }: ${detail.message ?? ''}`
      // 404xx: unknown subject/version/schema. 5xx (and 429) may pass: retry. Other 4xx (409 incompatible,
      // 422 invalid schema, 401/403) are mistakes a retry cannot fix.
      if (response.status === 404) throw new NotFoundError(message)
      if (response.status >= 500 || response.status === 429) throw new BusUnavailableError(message)
      throw new InternalError(message)
    }
    try {
      return JSON.parse(text) as T
    } catch (error) {
      throw new InternalError(`schema registry: ${where} answered ${response.status} with no JSON`, { cause: error })
    }
  }
}
