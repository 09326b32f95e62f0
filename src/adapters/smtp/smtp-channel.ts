import nodemailer from 'nodemailer'
import type { Transporter } from 'nodemailer'
import { alertMail, imageCid } from './alert-mail.js'
import { machineTimeZone } from '../../core/alert-text.js'
import { DeliveryFailedError } from '../../core/errors.js'
import type { Delivery, DeliveryReceipt, DeliveryChannel } from '../../core/ports/delivery-channel.js'

export interface SmtpChannelOptions {
  /** `smtp://host:port` (STARTTLS when the server offers it; `?requireTLS=true` insists) or `smtps://host:port`. */
  url: string
  from: string
  /** Never logged, never part of a message. */
  username?: string | undefined
  password?: string | undefined
  /** Milliseconds for connecting and for each SMTP command. */
  timeoutMs: number
  /** IANA zone of the times in the mails (IMGPIPE_TIME_ZONE); default: this machine's. */
  timeZone?: string | undefined
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

/**
 * E-mail over SMTP with nodemailer: plain text and styled HTML (src/adapters/smtp/alert-mail.ts), the three
 * images attached inline (`cid:`) when they are small (the worker leaves out larger ones) and linked when
 * IMGPIPE_PUBLIC_URL is set. The delivery id is the Message-ID, so a mail system can drop a redelivered copy.
 */
export class SmtpChannel implements DeliveryChannel {
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
    const images = await delivery.images()
    const mail = alertMail(delivery.payload, images, { timeZone: this.options.timeZone ?? machineTimeZone() })
    try {
      const info = (await this.#transport.sendMail({
        from: this.options.from,
        to,
        subject: mail.subject,
        messageId: `<${delivery.deliveryId}@imgpipe>`,
        text: mail.text,
        html: mail.html,
        attachments: images.map((image) => ({
          filename: image.filename,
          content: image.bytes,
          contentType: image.contentType,
          cid: imageCid(image),
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
