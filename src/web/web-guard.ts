import { createHash, timingSafeEqual } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { SECURITY_HEADERS, sendError } from './web-responses.js'

/**
 * Who may talk to the viewer: a Host allow-list against DNS rebinding (a page on evil.example that
 * resolves its name to 127.0.0.1 sends `Host: evil.example`), and an optional shared token, asked for as
 * HTTP Basic (any user name, the token as password, so a browser prompts once) or `Authorization: Bearer`.
 * The token is compared in constant time and never logged or echoed.
 */

/** Names every local viewer answers to, whatever it was told. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1']

export interface WebGuardOptions {
  /** Host names (without port) besides {@link LOOPBACK_HOSTS}; `*` allows any (behind a proxy that checks). */
  allowedHosts?: readonly string[]
  /** When set, every route but `/health` asks for it. */
  token?: string
}

/** The host name of a Host header, lowercased, without port, brackets or trailing dot; null when malformed. */
export function hostNameOf(header: string | undefined): string | null {
  if (header === undefined) return null
  const value = header.trim().toLowerCase()
  const match = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(value) ?? /^([^:[\]/\s@]+?)\.?(?::\d{1,5})?$/.exec(value)
  return match?.[1] ?? null
}

export function registerWebGuard(app: FastifyInstance, options: WebGuardOptions): void {
  const allowed = new Set([...LOOPBACK_HOSTS, ...(options.allowedHosts ?? []).map((host) => hostNameOf(host) ?? host.toLowerCase())])
  const anyHost = allowed.has('*')
  const token = options.token === undefined || options.token === '' ? null : digest(options.token)

  app.addHook('onRequest', async (request, reply) => {
    const host = hostNameOf(request.headers.host)
    if (!anyHost && (host === null || !allowed.has(host))) {
      // 421: this server is not the one meant; a rebinding page learns nothing more.
      return sendError(request, reply, 421, 'this server does not answer to that host name')
    }
    if (token === null || request.url === '/health' || request.url.startsWith('/health?')) return
    const given = credentialOf(request.headers.authorization)
    if (given !== null && timingSafeEqual(digest(given), token)) return
    reply.header('www-authenticate', 'Basic realm="imgpipe viewer", charset="UTF-8"')
    return sendError(request, reply, 401, 'this viewer asks for its access token (IMGPIPE_WEB_TOKEN)')
  })
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

/** The token in `Bearer <token>` or the password in `Basic base64(user:password)`; null otherwise. */
export function credentialOf(header: string | undefined): string | null {
  if (header === undefined) return null
  const bearer = /^Bearer +(\S+)\s*$/i.exec(header)
  if (bearer?.[1] !== undefined) return bearer[1]
  const basic = /^Basic +([A-Za-z0-9+/=]+)\s*$/i.exec(header)
  if (basic?.[1] === undefined) return null
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon < 0 ? null : decoded.slice(colon + 1)
}

/**
 * What Node answers itself, before any route runs (a malformed request line, oversized headers, a request
 * timeout): Fastify's own answer, plus the security headers every other response carries.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const statusCode = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
  const status = STATUS_CODES[statusCode] ?? 'Error'
  const body = JSON.stringify({ statusCode, error: status, message: status })
  const headers = Object.entries({ ...SECURITY_HEADERS, 'cache-control': 'no-store' })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${statusCode} ${status}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `${headers}Connection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy(error)
}
