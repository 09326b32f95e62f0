import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { sampleDelivery } from '../../contracts/subscription-channel-contract.js'
import { LogChannel } from '../../../src/adapters/log/log-channel.js'

describe('LogChannel', () => {
  it('writes one structured log line per alert, with the headline every channel uses', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    const channel = new LogChannel(pino({ level: 'info' }, sink))
    const delivery = sampleDelivery('', 'alert-7', [7])
    const item = delivery.payload.alerts[0]!
    Object.assign(item, { imageEventId: 5, stream: 'mock', imageNum: 11, imageId: 11, changedFraction: 0.4567 })
    const receipt = await channel.send(delivery)
    expect(lines).toHaveLength(1)
    const line = JSON.parse(lines[0]!)
    expect(line).toMatchObject({
      level: 30,
      deliveryId: 'alert-7',
      imageEventAlertId: 7,
      imageEventId: 5,
      stream: 'mock',
      imageNum: 11,
      changedPercent: 45.7,
      alertPage: 'https://viewer.example.org/?alert_num=7',
    })
    // The headline and percent of every other channel (core/alert-text.ts).
    expect(line.msg).toBe('Alert 7: changed on stream mock, image 11 (45.7% of pixels changed)')
    expect(receipt).toEqual({ responseCode: null, detail: '1 alert(s) logged' })
  })

  it('writes a line for each alert of a digest', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    await new LogChannel(pino({ level: 'info' }, sink)).send(sampleDelivery('', 'd-3', [1, 2, 3]))
    expect(lines.map((line) => (JSON.parse(line) as { imageEventAlertId: number }).imageEventAlertId)).toEqual([1, 2, 3])
  })
})
