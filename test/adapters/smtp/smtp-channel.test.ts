import type { ParsedMail } from 'mailparser'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SmtpChannel, parseMailTarget } from '../../../src/adapters/smtp/smtp-channel.js'
import type { AlertImage } from '../../../src/core/ports/delivery-channel.js'
import { sampleDelivery, subscriptionChannelContract } from '../../contracts/subscription-channel-contract.js'
import { MailSink } from '../../support/mail-sink.js'

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
  let url: string

  beforeEach(async () => {
    sink = new MailSink({ user: 'imgpipe', pass: 's3cret' })
    url = await sink.listen()
    const login = { username: 'imgpipe', password: 's3cret' }
    channel = new SmtpChannel({ url, from: 'imgpipe@example.org', ...login, timeoutMs: 5_000, timeZone: 'UTC' })
    const square = (r: number) => sharp({ create: { width: 8, height: 8, channels: 3, background: { r, g: 0, b: 0 } } })
    // As the worker reads them (alert-images.ts): the images as uploaded, the difference image as the JPEG analyze writes.
    images = [
      {
        alertNum: 1,
        role: 'previous',
        filename: 'previous-1-image_1.png',
        contentType: 'image/png',
        bytes: await square(10).png().toBuffer(),
      },
      { alertNum: 1, role: 'image', filename: 'image-1-image_2.png', contentType: 'image/png', bytes: await square(200).png().toBuffer() },
      {
        alertNum: 1,
        role: 'difference',
        filename: 'difference-1.jpg',
        contentType: 'image/jpeg',
        bytes: await square(255).jpeg().toBuffer(),
      },
    ]
  })
  afterEach(async () => {
    await channel.close()
    await sink.close()
  })

  /** The one mail the sink got, with its HTML part as a string. */
  function only(): { parsed: ParsedMail; html: string; text: string } {
    expect(sink.mails).toHaveLength(1)
    const { parsed } = sink.mails[0]!
    return { parsed, html: typeof parsed.html === 'string' ? parsed.html : '', text: parsed.text ?? '' }
  }

  it('sends a mail with subject, text, HTML and the three images inline, logged in with the configured user', async () => {
    const receipt = await channel.send(sampleDelivery('mailto:ada@example.org,bob@example.org', 'delivery-42', [1], images))
    expect(receipt.responseCode).toBe(250)
    const [mail] = sink.mails
    expect(mail!.user).toBe('imgpipe')
    expect(mail!.to).toEqual(['ada@example.org', 'bob@example.org'])
    const { parsed, html, text } = only()
    expect(parsed.subject).toBe('[imgpipe] Alert 1: changed on stream cam-a, image 2 (42.0% changed)')
    expect(parsed.messageId).toBe('<delivery-42@imgpipe>')
    expect(text).toContain('Alert 1: changed on stream cam-a, image 2\n')
    expect(text).toContain('  Image:          2 (image_2.png)\n')
    expect(text).toContain('  Changed pixels: 42.0%\n')
    expect(text).toContain('  Viewer:         https://viewer.example.org/?alert_num=1\n')
    expect(text).toContain('  difference:     https://viewer.example.org/difference/1')
    expect(parsed.attachments.map((attachment) => [attachment.contentId, attachment.filename, attachment.contentType])).toEqual([
      ['<previous-1@imgpipe>', 'previous-1-image_1.png', 'image/png'],
      ['<image-1@imgpipe>', 'image-1-image_2.png', 'image/png'],
      ['<difference-1@imgpipe>', 'difference-1.jpg', 'image/jpeg'],
    ])
    expect(
      parsed.attachments.map((attachment) =>
        Buffer.compare(attachment.content, images.find((image) => attachment.contentId === `<${image.role}-1@imgpipe>`)!.bytes),
      ),
    ).toEqual([0, 0, 0])
    expect(html).toContain('src="cid:difference-1@imgpipe"')
    expect(html).toContain('href="https://viewer.example.org/?alert_num=1"')
    expect(html).toContain('>Open alert 1 in the viewer</a>')
    expect(html).toMatch(/<th style="[^"]*">Changed pixels<\/th><td style="[^"]*">42\.0%<\/td>/)
  })

  it('styles the HTML part inline, as a card, with the same facts as the text part', async () => {
    await channel.send(sampleDelivery('ada@example.org', 'd-style', [1], images))
    const { html, text } = only()
    // Mail clients drop <style> elements and classes: every rule is a style attribute.
    expect(html).not.toMatch(/<style|class=/)
    expect(html).toMatch(/<div style="max-width:640px;[^"]*border-radius:8px[^"]*">/)
    expect(html).toMatch(/<body style="[^"]*font-family:[^"]*;font-size:14px;line-height:1.5">/)
    for (const fact of ['cam-a', '2 (image_2.png)', 'changed', '42.0%', '2026-01-01 00:00:00 UTC']) {
      expect(text).toContain(fact)
      expect(html).toContain(`>${fact}</td>`)
    }
  })

  it('writes times in the configured zone and names it, in both parts', async () => {
    const login = { username: 'imgpipe', password: 's3cret' }
    const berlin = new SmtpChannel({ url, from: 'imgpipe@example.org', ...login, timeoutMs: 5_000, timeZone: 'Europe/Berlin' })
    try {
      await berlin.send(sampleDelivery('ada@example.org', 'd-zone', [1], images))
    } finally {
      await berlin.close()
    }
    const { html, text } = only()
    // detectedAt is 2026-01-01T00:00:00Z: one hour later in Berlin in winter.
    expect(text).toContain('  Detected:       2026-01-01 01:00:00 Europe/Berlin (UTC+01:00)\n')
    expect(html).toContain('>2026-01-01 01:00:00 Europe/Berlin (UTC+01:00)</td>')
    expect(text).not.toContain('2026-01-01T00:00:00')
  })

  it('says plainly that there is no viewer link when IMGPIPE_PUBLIC_URL is not set', async () => {
    const delivery = sampleDelivery('ada@example.org', 'd-nolink', [1], images)
    delivery.payload.alerts[0]!.links = {}
    await channel.send(delivery)
    const { html, text } = only()
    expect(text).toContain('No link to the viewer: IMGPIPE_PUBLIC_URL is not set where imgpipe delivers alerts.')
    expect(html).toContain('No link to the viewer: IMGPIPE_PUBLIC_URL is not set where imgpipe delivers alerts.')
    expect(html).not.toContain('<a ')
    expect(text).not.toContain('http')
  })

  it('escapes every value from the catalog in the HTML part', async () => {
    const delivery = sampleDelivery('ada@example.org', 'd-escape', [1], images)
    const item = delivery.payload.alerts[0]!
    item.stream = 'cam-<b>"a"</b>'
    item.imageFilename = `<img src=x onerror=alert(1)>'.png`
    item.eventType = '<script>size_changed</script>'
    item.links.alertPage = 'https://viewer.example.org/?alert_num=1&x="><script>'
    delivery.payload.subscription = '<i>sub</i>'
    await channel.send(delivery)
    const { html, text } = only()
    expect(html).not.toMatch(/<script|<b>|<i>|<img src=x/)
    expect(html).toContain('>cam-&lt;b&gt;&quot;a&quot;&lt;/b&gt;</td>')
    expect(html).toContain('2 (&lt;img src=x onerror=alert(1)&gt;&#39;.png)')
    expect(html).toContain('&lt;script&gt;size changed&lt;/script&gt;')
    expect(html).toContain('href="https://viewer.example.org/?alert_num=1&amp;x=&quot;&gt;&lt;script&gt;"')
    expect(html).toContain('subscription &lt;i&gt;sub&lt;/i&gt;')
    // The text part is plain text: the same values, unescaped.
    expect(text).toContain('on stream cam-<b>"a"</b>, image 2')
  })

  it('marks a test message as a test in the subject and both parts', async () => {
    const delivery = sampleDelivery('ada@example.org', 'test-1', [1], images)
    delivery.payload.test = true
    await channel.send(delivery)
    const { parsed, html, text } = only()
    expect(parsed.subject).toBe('[imgpipe] TEST: Alert 1: changed on stream cam-a, image 2 (42.0% changed)')
    expect(text.startsWith('TEST MESSAGE sent by `imgpipe subscription test`')).toBe(true)
    expect(html).toMatch(/<body[^>]*><div style="[^"]*">TEST MESSAGE sent by `imgpipe subscription test`/)
  })

  it('has no test marker on a real alert, and a digest says how many alerts it holds', async () => {
    await channel.send(sampleDelivery('ada@example.org', 'd-digest', [1, 2, 3], images))
    const { parsed, html, text } = only()
    expect(parsed.subject).toBe('[imgpipe] 3 alerts (digest)')
    expect(`${parsed.subject} ${text} ${html}`).not.toMatch(/TEST/)
    expect([...text.matchAll(/^Alert (\d+):/gm)].map((match) => match[1])).toEqual(['1', '2', '3'])
    expect(html.match(/>Open alert \d in the viewer</g)).toHaveLength(3)
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
