import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { isImgpipeError } from '../core/errors.js'
import { FAVICON_SVG, PAGES_CSS, PICTURES_CSS, VIEWER_CSS, VIEWER_JS } from './assets/web-assets.js'
import { renderErrorDocument, rootFor, type AssetVersions } from './render-layout.js'

/**
 * Response helpers shared by the routes: security headers, errors as HTML or JSON, download names.
 */

/**
 * Same origin only, no inline script or style (the script and stylesheet are files), no plugins, no
 * framing, forms post back here only, and `<base>` cannot re-point relative URLs.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
}

/** For the versioned assets (`?v=<hash>`): a URL's content never changes. */
export const IMMUTABLE = 'public, max-age=31536000, immutable'

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

/** The stylesheet served at `assets/viewer.css`: the viewer's, then the pictures' and the pages' (files of their own). */
export const STYLESHEET = VIEWER_CSS + PICTURES_CSS + PAGES_CSS

/** Versions for the asset URLs; they change whenever the asset does. */
export const ASSET_VERSIONS: AssetVersions = { css: hashOf(STYLESHEET), js: hashOf(VIEWER_JS), icon: hashOf(FAVICON_SVG) }

/** A browser navigating here (it asks for HTML); scripts, `fetch` and `<img>` get JSON. */
export function wantsHtml(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0] ?? ''
  if (path.startsWith('/api/') || path === '/health' || path === '/events') return false
  return (request.headers.accept ?? '').includes('text/html')
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/** An error response: an HTML page for a browser, `{statusCode, error, message}` otherwise (Fastify's shape). */
export function sendError(request: FastifyRequest, reply: FastifyReply, statusCode: number, message: string): FastifyReply {
  const error = STATUS_TEXT[statusCode] ?? 'Error'
  reply.code(statusCode).header('cache-control', 'no-store')
  if (wantsHtml(request)) {
    const page = renderErrorDocument({
      root: rootFor(request.url.split('?')[0] ?? '/'),
      assets: ASSET_VERSIONS,
      title: error,
      message,
    })
    return reply.type('text/html; charset=utf-8').send(page.toString())
  }
  return reply.type('application/json; charset=utf-8').send({ statusCode, error, message })
}

/** Errors that say "try again later" rather than "this is wrong": a database that does not answer, a shutdown. */
export function isUnavailable(error: unknown): boolean {
  return (isImgpipeError(error) && error.canRetry) || isImgpipeError(error, 'IMGPIPE_CLOSED')
}

/**
 * `attachment` with an ASCII fallback name and the exact name in RFC 5987 form. File names come from the
 * catalog (an ingested file keeps its name), so quotes, separators and control characters are replaced.
 */
export function contentDisposition(filename: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = filename.replace(/[\u0000-\u001f\u007f-\u009f/\\]/g, '_').slice(0, 200) || 'download'
  const ascii = cleaned.replace(/[^A-Za-z0-9._ -]/g, '_')
  const encoded = encodeURIComponent(cleaned).replace(/['()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`
}

/** `?download=1` (or `true`/`yes`) asks for a file rather than an inline image. */
export function wantsDownload(raw: unknown): boolean {
  return typeof raw === 'string' && ['1', 'true', 'yes'].includes(raw.toLowerCase())
}
