import { createHmac, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** One POST the receiver got, with whether its Standard Webhooks signature checked out. */
export interface ReceivedHook {
  path: string
  headers: http.IncomingHttpHeaders
  body: string
  json: unknown
  signatureValid: boolean
  status: number
  at: number
}

/** Behaviour per request: the status (and headers) to answer, or 'hang' to never answer. */
export type HookBehaviour = (hook: {
  path: string
  count: number
}) => { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang'

/** Verifies the way a Standard Webhooks receiver does: HMAC-SHA256 over `id.timestamp.body`, base64 key after `whsec_`. */
export function verifySignature(secret: string, headers: http.IncomingHttpHeaders, body: string): boolean {
  const id = headers['webhook-id']
  const timestamp = headers['webhook-timestamp']
  const signatures = headers['webhook-signature']
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  const expected = Buffer.from(createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64'))
  return signatures.split(' ').some((entry) => {
    const given = Buffer.from(entry.replace(/^v1,/, ''))
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
}

/** A real HTTP server on 127.0.0.1 that records every POST, verifies signatures, and answers as told. */
export class WebhookReceiver {
  readonly hooks: ReceivedHook[] = []
  behaviour: HookBehaviour = () => ({ status: 204 })
  readonly #server: http.Server
  readonly #counts = new Map<string, number>()
  readonly #hanging = new Set<http.ServerResponse>()

  private constructor(private readonly secret: string | null) {
    this.#server = http.createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        const path = request.url ?? '/'
        const count = (this.#counts.get(path) ?? 0) + 1
        this.#counts.set(path, count)
        const answer = this.behaviour({ path, count })
        let json: unknown
        try {
          json = JSON.parse(body)
        } catch {
          json = null
        }
        this.hooks.push({
          path,
          headers: request.headers,
          body,
          json,
          signatureValid: this.secret === null ? true : verifySignature(this.secret, request.headers, body),
          status: answer === 'hang' ? 0 : answer.status,
          at: Date.now(),
        })
        if (answer === 'hang') {
          this.#hanging.add(response)
          return
        }
        const reply = (): void => {
          response.writeHead(answer.status, answer.headers ?? {})
          response.end(answer.status < 300 ? 'ok' : 'not now')
        }
        if (answer.delayMs === undefined) reply()
        else setTimeout(reply, answer.delayMs)
      })
    })
  }

  static async start(secret: string | null): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(secret)
    receiver.#server.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => receiver.#server.once('listening', () => resolve()))
    return receiver
  }

  url(path = '/hook'): string {
    const { port } = this.#server.address() as AddressInfo
    return `http://127.0.0.1:${port}${path}`
  }

  /** Accepted (2xx) hooks on a path, by delivery id. */
  delivered(path?: string): ReceivedHook[] {
    return this.hooks.filter((hook) => hook.status >= 200 && hook.status < 300 && (path === undefined || hook.path === path))
  }

  async close(): Promise<void> {
    for (const response of this.#hanging) response.destroy()
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}
