import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { LogChannel } from '../../../src/stages/alert/log-channel.js'

describe('LogChannel', () => {
  it('writes one structured log line per alert', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    const channel = new LogChannel(pino({ level: 'info' }, sink))
    const at = new Date('2026-01-02T03:04:05.678Z')
    await channel.deliver({
      alert: { imageEventAlertId: 7, imageEventId: 5, createdAt: at, deliveredAt: null, deliveryChannels: null },
      event: {
        imageEventId: 5,
        imageId: 11,
        differenceImageObjectKey: 'difference_image/mock/image_00011.jpg',
        eventType: 'changed',
        detectedAt: at,
        analyzer: 'a',
        analyzerVersion: '1',
      },
      image: {
        imageId: 11,
        imageFilename: 'image_00011.jpg',
        imageObjectKey: 'image/mock/image_00011.jpg',
        stream: 'mock',
        imageNum: 11,
        contentSha256: null,
        byteSize: 1,
        width: 350,
        height: 350,
        format: 'jpeg',
        status: 'analyzed',
        errorCode: null,
        errorMessage: null,
        receivedAt: at,
        analyzedAt: at,
        previousImageId: 10,
        l2Norm: 1,
        changedFraction: 0.4567,
        maxAbsDifference: 200,
        observation: null,
      },
    })
    expect(lines).toHaveLength(1)
    const line = JSON.parse(lines[0]!)
    expect(line).toMatchObject({ level: 30, imageEventAlertId: 7, imageEventId: 5, stream: 'mock', imageNum: 11, changedPercent: 45.7 })
    expect(line.msg).toBe('ALERT 7: image event 5 (changed) on stream mock image 11')
  })
})
