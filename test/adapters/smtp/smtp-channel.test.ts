import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import type { ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SmtpChannel, parseMailTarget } from '../../../src/adapters/smtp/smtp-channel.js'
import type { AlertImage } from '../../../src/core/ports/delivery-channel.js'
import { sampleDelivery, subscriptionChannelContract } from '../../contracts/subscription-channel-contract.js'

/** A real SMTP server on 127.0.0.1 (the smtp-server package) that parses every mail with mailparser. */
class MailSink {
  readonly mails: Array<{ to: string[]; parsed: ParsedMail; user: string | undefined }> = []
  rejectRcpt: { code: number; message: string } | null = null
  readonly server: SMTPServer

  constructor(auth: { user: string; pass: string } | null) {
    this.server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authOptional: auth === null,
      allowInsecureAuth: true,
      onAuth: (login, _session, callback) => {
        if (auth !== null && login.username === auth.user && login.password === auth.pass) return callback(null, { user: login.username })
        callback(new Error('535 authentication failed'))
      },
      onRcptTo: (_address, _session, callback) => {
        if (this.rejectRcpt === null) return callback()
        callback(Object.assign(new Error(this.rejectRcpt.message), { responseCode: this.rejectRcpt.code }))
      },
      onData: (stream, session, callback) => {
        simpleParser(stream, { keepCidLinks: true })
          .then((parsed) => {
            this.mails.push({
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              parsed,
              user: typeof session.user === 'string' ? session.user : undefined,
            })
            callback()
          })
          .catch(callback)
      },
      logger: false,
    })
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()))
    return `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

subscriptionChannelContract('smtp', async () => {
  const sink = new MailSink(null)
  const url = await sink.listen()
  const channel = new SmtpChannel({ url, from: 'imgpipe@example.org', timeoutMs: 5_000 })
  return {
    channel,
    target: 'ops@example.org',
    invalidTarget: 'not an address',
    async received() {
      return sink.mails.flatMap((mail) => [...(mail.parsed.text ?? '').matchAll(/^Alert (\d+):/gm)].map((match) => Number(match[1])))
    },
    async cleanup() {
      await channel.close()
      await sink.close()
    },
  }
})

describe('SmtpChannel against a real SMTP server', () => {
  let sink: MailSink
  let channel: SmtpChannel
  let images: AlertImage[]

  beforeEach(async () => {
    sink = new MailSink({ user: 'imgpipe', pass: 's3cret' })
    const url = await sink.listen()
    channel = new SmtpChannel({ url, from: 'imgpipe@example.org', username: 'imgpipe', password: 's3cret', timeoutMs: 5_000 })
    const png = (r: number): Promise<Buffer> =>
      sharp({ create: { width: 8, height: 8, channels: 3, background: { r, g: 0, b: 0 } } })
        .png()
        .toBuffer()
    images = [
      { alertNum: 1, role: 'previous', filename: 'image_1.png', contentType: 'image/png', bytes: await png(10) },
      { alertNum: 1, role: 'image', filename: 'image_2.png', contentType: 'image/png', bytes: await png(200) },
      { alertNum: 1, role: 'difference', filename: 'difference-1.png', contentType: 'image/png', bytes: await png(255) },
    ]
  })
  afterEach(async () => {
    await channel.close()
    await sink.close()
  })

  it('sends a mail with subject, text, HTML and the three images inline, logged in with the configured user', async () => {
    const receipt = await channel.send(sampleDelivery('mailto:ada@example.org,bob@example.org', 'delivery-42', [1], images))
    expect(receipt.responseCode).toBe(250)
    const [mail] = sink.mails
    expect(mail!.user).toBe('imgpipe')
    expect(mail!.to).toEqual(['ada@example.org', 'bob@example.org'])
    const { parsed } = mail!
    expect(parsed.subject).toBe('[imgpipe] alert 1: changed on cam-a image 2')
    expect(parsed.messageId).toBe('<delivery-42@imgpipe>')
    expect(parsed.text).toContain('Alert 1: changed on stream cam-a, image 2 (image_2.png), 42 % of pixels changed')
    expect(parsed.text).toContain('difference: https://viewer.example.org/difference/1')
    expect(parsed.attachments.map((attachment) => [attachment.contentId, attachment.contentType])).toEqual([
      ['<previous-1@imgpipe>', 'image/png'],
      ['<image-1@imgpipe>', 'image/png'],
      ['<difference-1@imgpipe>', 'image/png'],
    ])
    expect(
      parsed.attachments.map((attachment) =>
        Buffer.compare(attachment.content, images.find((image) => attachment.contentId === `<${image.role}-1@imgpipe>`)!.bytes),
      ),
    ).toEqual([0, 0, 0])
    const html = typeof parsed.html === 'string' ? parsed.html : ''
    expect(html).toContain('src="cid:difference-1@imgpipe"')
    expect(html).toContain('href="https://viewer.example.org/?alert_num=1"')
  })

  it('treats a 5xx refusal as permanent and a 4xx one as worth retrying', async () => {
    sink.rejectRcpt = { code: 550, message: 'no such mailbox' }
    await expect(channel.send(sampleDelivery('nobody@example.org', 'd1', [1]))).rejects.toMatchObject({
      canRetry: false,
      responseCode: 550,
    })
    sink.rejectRcpt = { code: 451, message: 'try later' }
    await expect(channel.send(sampleDelivery('later@example.org', 'd2', [1]))).rejects.toMatchObject({ canRetry: true, responseCode: 451 })
  })

  it('reads address lists and refuses anything else', () => {
    expect(parseMailTarget('mailto:a@x.org,b@y.org')).toEqual(['a@x.org', 'b@y.org'])
    expect(() => parseMailTarget('a@x.org\r\nBcc: evil@x.org')).toThrow(/addresses/)
  })
})
