import nodemailer from 'nodemailer'
import type { Transporter } from 'nodemailer'
import { DeliveryFailedError } from '../../core/errors.js'
import type { AlertItem, Delivery, DeliveryReceipt, SubscriptionChannel } from '../../core/ports/delivery-channel.js'

export interface SmtpChannelOptions {
  /** `smtp://host:port` (STARTTLS when the server offers it; `?requireTLS=true` insists) or `smtps://host:port`. */
  url: string
  from: string
  /** Never logged, never part of a message. */
  username?: string | undefined
  password?: string | undefined
  /** Milliseconds for connecting and for each SMTP command. */
  timeoutMs: number
}

const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/

/** A subscription's e-mail target: addresses separated by commas, optionally as a `mailto:` URL. */
export function parseMailTarget(target: string): string[] {
  const list = target.startsWith('mailto:') ? decodeURIComponent(target.slice('mailto:'.length).split('?')[0] ?? '') : target
  const addresses = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  if (addresses.length === 0 || !addresses.every((address) => ADDRESS.test(address))) {
    throw new DeliveryFailedError('e-mail target must be one or more addresses separated by commas', { canRetry: false })
  }
  return addresses
}

const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')

function describe(item: AlertItem): string {
  const percent = item.changedFraction === null ? '?' : `${Math.round(item.changedFraction * 1000) / 10} %`
  return `Alert ${item.alertNum}: ${item.eventType} on stream ${item.stream}, image ${item.imageNum ?? item.imageId} (${item.imageFilename}), ${percent} of pixels changed, detected ${item.detectedAt}`
}

/**
 * E-mail over SMTP with nodemailer: plain text and HTML, the three images attached inline (`cid:`) when they
 * are small (the worker leaves out larger ones) and linked when IMGPIPE_PUBLIC_URL is set. The delivery id
 * is the Message-ID, so a mail system can drop a redelivered copy.
 */
export class SmtpChannel implements SubscriptionChannel {
  readonly kind = 'smtp'
  readonly #transport: Transporter

  constructor(private readonly options: SmtpChannelOptions) {
    const url = new URL(options.url)
    const secure = url.protocol === 'smtps:'
    this.#transport = nodemailer.createTransport({
      host: url.hostname,
      port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
      secure,
      requireTLS: url.searchParams.get('requireTLS') === 'true',
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      ...(options.username === undefined ? {} : { auth: { user: options.username, pass: options.password ?? '' } }),
      logger: false,
    })
  }

  async send(delivery: Delivery): Promise<DeliveryReceipt> {
    const to = parseMailTarget(delivery.subscription.target)
    const { alerts } = delivery.payload
    const images = await delivery.images()
    const subject =
      alerts.length === 1
        ? `[imgpipe] alert ${alerts[0]!.alertNum}: ${alerts[0]!.eventType} on ${alerts[0]!.stream} image ${alerts[0]!.imageNum ?? alerts[0]!.imageId}`
        : `[imgpipe] ${alerts.length} alerts (digest)`
    const textParts: string[] = []
    const htmlParts: string[] = []
    for (const item of alerts) {
      const links = Object.entries(item.links).map(([name, link]) => `${name}: ${link}`)
      textParts.push([describe(item), ...links].join('\n'))
      const mine = images.filter((image) => image.alertNum === item.alertNum)
      const figures = mine
        .map(
          (image) =>
            `<figure><img src="cid:${image.role}-${image.alertNum}@imgpipe" alt="${image.role}" width="256"><figcaption>${escapeHtml(image.role)}</figcaption></figure>`,
        )
        .join('')
      const anchor = item.links.alertPage === undefined ? '' : ` <a href="${escapeHtml(item.links.alertPage)}">open in the viewer</a>`
      htmlParts.push(`<p>${escapeHtml(describe(item))}${anchor}</p>${figures}`)
    }
    try {
      const info = (await this.#transport.sendMail({
        from: this.options.from,
        to,
        subject,
        messageId: `<${delivery.deliveryId}@imgpipe>`,
        text: textParts.join('\n\n'),
        html: `<!doctype html><html><body>${htmlParts.join('<hr>')}</body></html>`,
        attachments: images.map((image) => ({
          filename: `${image.role}-${image.alertNum}-${image.filename}`,
          content: image.bytes,
          contentType: image.contentType,
          cid: `${image.role}-${image.alertNum}@imgpipe`,
        })),
      })) as { response?: string }
      const response = info.response ?? ''
      return { responseCode: Number(/^\d{3}/.exec(response)?.[0] ?? 250), detail: response.slice(0, 200) }
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode
      // 5xx is a permanent refusal (unknown mailbox, policy); 4xx and network failures are worth retrying.
      const canRetry = code === undefined || code < 500
      const reason = (error as { code?: string }).code ?? 'SMTP'
      throw new DeliveryFailedError(`SMTP ${reason}${code === undefined ? '' : ` ${code}`}: ${(error as Error).message.slice(0, 200)}`, {
        canRetry,
        cause: error,
        ...(code === undefined ? {} : { responseCode: code }),
      })
    }
  }

  async close(): Promise<void> {
    this.#transport.close()
  }
}
