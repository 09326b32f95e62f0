import { describe, expect, it } from 'vitest'
import {
  alertHeadline,
  alertSubject,
  changedText,
  escapeHtml,
  escapeMrkdwn,
  formatBytes,
  formatChannelDifference,
  formatDecimal,
  formatEventType,
  formatLocalTime,
  formatPercent,
  imageLabel,
  isTimeZone,
  percentOf,
} from '../../src/core/alert-text.js'

describe('alert text', () => {
  it('writes metrics readably, and a dash when missing', () => {
    expect(formatDecimal(12345.678)).toBe('12,345.7')
    expect(formatPercent(0.1234)).toBe('12.3%')
    expect(formatPercent(0.5)).toBe('50.0%')
    expect(formatChannelDifference(183)).toBe('183 / 255')
    for (const format of [formatDecimal, formatPercent, formatChannelDifference, formatBytes]) expect(format(null)).toBe('—')
  })

  it('writes sizes in binary units and event types in words', () => {
    expect(formatBytes(512, '\u00a0')).toBe('512\u00a0B')
    expect(formatBytes(34_567, '\u00a0')).toBe('33.8\u00a0KiB')
    expect(formatBytes(5 * 1024 ** 3, '\u00a0')).toBe('5.0\u00a0GiB')
    expect(formatEventType('size_changed')).toBe('size changed')
  })

  it('reads like people count bytes', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1023)).toBe('1023 B')
    expect(formatBytes(1024)).toBe('1.0 KiB')
    expect(formatBytes(223050)).toBe('217.8 KiB')
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB')
  })

  it('labels an image by its number, adding the database id only when it differs', () => {
    expect(imageLabel({ imageNum: 7, imageId: 7 })).toBe('7')
    expect(imageLabel({ imageNum: 7, imageId: 12 })).toBe('7 (id 12)')
    expect(imageLabel({ imageNum: null, imageId: 42 })).toBe('id 42')
  })

  it('gives structured output the percentage that the text shows', () => {
    expect(percentOf(0.1234)).toBe(12.3)
    expect(formatPercent(0.1234)).toBe('12.3%')
    expect(percentOf(0.45678)).toBe(45.7)
    expect(formatPercent(0.45678)).toBe('45.7%')
    expect(percentOf(null)).toBeNull()
  })

  it('writes local times in the named zone with its offset at that instant', () => {
    const summer = new Date('2026-07-01T00:00:00.400Z')
    const winter = new Date('2026-01-01T23:30:00Z')
    expect(formatLocalTime(summer, 'Europe/Berlin')).toBe('2026-07-01 02:00:00 Europe/Berlin (UTC+02:00)')
    expect(formatLocalTime(winter, 'Europe/Berlin')).toBe('2026-01-02 00:30:00 Europe/Berlin (UTC+01:00)')
    expect(formatLocalTime(winter, 'Asia/Kolkata')).toBe('2026-01-02 05:00:00 Asia/Kolkata (UTC+05:30)')
    expect(formatLocalTime(winter, 'Europe/London')).toBe('2026-01-01 23:30:00 Europe/London (UTC+00:00)')
    expect(formatLocalTime(summer, 'UTC')).toBe('2026-07-01 00:00:00 UTC')
  })

  it('knows IANA zone names', () => {
    expect(['UTC', 'Europe/Berlin', 'Etc/GMT-3'].map(isTimeZone)).toEqual([true, true, true])
    expect(['Mars/Olympus_Mons', '', 'Europe/Berlin; DROP'].map(isTimeZone)).toEqual([false, false, false])
  })

  it('writes one headline and one subject for every channel', () => {
    const facts = { alertNum: 7, eventType: 'size_changed', stream: 'cam-a', imageNum: 9, imageId: 12, changedFraction: 0.0302 }
    expect(alertHeadline(facts)).toBe('Alert 7: size changed on stream cam-a, image 9 (id 12)')
    expect(changedText(facts.changedFraction)).toBe('3.0% of pixels changed')
    expect(alertSubject([facts])).toBe('[imgpipe] Alert 7: size changed on stream cam-a, image 9 (id 12) (3.0% changed)')
    expect(alertSubject([facts], true)).toBe('[imgpipe] TEST: Alert 7: size changed on stream cam-a, image 9 (id 12) (3.0% changed)')
    expect(alertSubject([facts, facts, facts])).toBe('[imgpipe] 3 alerts (digest)')
  })

  it('escapes HTML (five characters) and Slack mrkdwn (three)', () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;')
    expect(escapeMrkdwn(`<!channel> & "x"`)).toBe('&lt;!channel&gt; &amp; "x"')
  })
})
