import { describe, expect, it } from 'vitest'
import {
  normalizeRawRow,
  toAlertRecord,
  toDate,
  toDateOrNull,
  toEventRecord,
  toImageRecord,
  toNumber,
} from '../../../src/adapters/sql/row-mappers.js'

describe('toDate', () => {
  it('keeps Dates and parses ISO text with a zone', () => {
    const date = new Date('2024-01-02T03:04:05.678Z')
    expect(toDate(date)).toBe(date)
    expect(toDate('2024-01-02T03:04:05.678Z').toISOString()).toBe('2024-01-02T03:04:05.678Z')
    expect(toDate('2024-01-02T05:04:05.678+02:00').toISOString()).toBe('2024-01-02T03:04:05.678Z')
  })

  it("reads SQLite's zone-less CURRENT_TIMESTAMP text as UTC", () => {
    expect(toDate('2024-05-01 12:00:00').toISOString()).toBe('2024-05-01T12:00:00.000Z')
    expect(toDate('2024-05-01T12:00:00.5').toISOString()).toBe('2024-05-01T12:00:00.500Z')
  })

  it('rejects text that is not a timestamp', () => {
    expect(() => toDate('yesterday')).toThrow(TypeError)
    expect(toDateOrNull(null)).toBeNull()
  })
})

describe('row → record', () => {
  const imageRow = {
    image_id: 7,
    image_filename: 'image_00002.jpg',
    image_object_key: 'image/s/image_00002.jpg',
    stream: 's',
    image_num: 2,
    content_sha256: 'a'.repeat(64),
    byte_size: '1099511627776', // PostgreSQL bigint
    width: 640,
    height: 480,
    format: 'jpeg',
    status: 'analyzed',
    error_code: null,
    error_message: null,
    received_at: '2024-01-02T03:04:05.678Z',
    analyzed_at: new Date('2024-01-02T03:04:06.000Z'),
    previous_image_id: 6,
    l2_norm: 12.5,
    changed_fraction: 0.5,
    max_abs_difference: 255,
    fits_hdu: null,
    obs_mjd: null,
    obs_time: null,
    exposure_s: null,
    filter: null,
    field: null,
    center_ra: null,
    center_dec: null,
    pixel_scale_arcsec: null,
    footprint: null,
    fits_header: null,
  }

  it('maps an image row, converting text timestamps and string bigints', () => {
    expect(toImageRecord(imageRow)).toEqual({
      imageId: 7,
      imageFilename: 'image_00002.jpg',
      imageObjectKey: 'image/s/image_00002.jpg',
      stream: 's',
      imageNum: 2,
      contentSha256: 'a'.repeat(64),
      byteSize: 1099511627776,
      width: 640,
      height: 480,
      format: 'jpeg',
      status: 'analyzed',
      errorCode: null,
      errorMessage: null,
      receivedAt: new Date('2024-01-02T03:04:05.678Z'),
      analyzedAt: new Date('2024-01-02T03:04:06.000Z'),
      previousImageId: 6,
      l2Norm: 12.5,
      changedFraction: 0.5,
      maxAbsDifference: 255,
      observation: null,
    })
  })

  it('maps the observation columns of a science image, the time from text or Date, the footprint from JSON', () => {
    const header = `SIMPLE  =                    T${' '.repeat(50)}`
    const science = {
      ...imageRow,
      fits_hdu: 1,
      obs_mjd: 60_310.123_456_789_01,
      obs_time: '2024-01-02 02:57:46.666',
      exposure_s: 30,
      filter: 'r',
      field: 'ZTF-0700',
      center_ra: 150.000_000_123,
      center_dec: -2.5,
      pixel_scale_arcsec: 1.01,
      footprint: '[[150.1,-2.6],[150.1,-2.4],[149.9,-2.4],[149.9,-2.6]]',
      fits_header: header,
    }
    expect(toImageRecord(science).observation).toEqual({
      hdu: 1,
      obsMjd: 60_310.123_456_789_01,
      obsTime: '2024-01-02T02:57:46.666Z',
      exposureS: 30,
      filter: 'r',
      field: 'ZTF-0700',
      centerRa: 150.000_000_123,
      centerDec: -2.5,
      pixelScaleArcsec: 1.01,
      footprint: [
        [150.1, -2.6],
        [150.1, -2.4],
        [149.9, -2.4],
        [149.9, -2.6],
      ],
      header,
    })
    expect(toImageRecord({ ...science, obs_time: new Date('2024-01-02T02:57:46.666Z') }).observation?.obsTime).toBe(
      '2024-01-02T02:57:46.666Z',
    )
    // A hand-edited footprint that is not pairs of numbers reads as none instead of failing the read.
    expect(toImageRecord({ ...science, footprint: '[[1,"x"]]' }).observation?.footprint).toBeNull()
    expect(toImageRecord({ ...science, footprint: 'not json' }).observation?.footprint).toBeNull()
  })

  it('maps event and alert rows', () => {
    expect(
      toEventRecord({
        image_event_id: 3,
        image_id: 7,
        difference_image_object_key: 'difference_image/s/image_00002.jpg',
        event_type: 'changed',
        detected_at: '2024-01-02T03:04:06.000Z',
        analyzer: null,
        analyzer_version: null,
      }),
    ).toEqual({
      imageEventId: 3,
      imageId: 7,
      differenceImageObjectKey: 'difference_image/s/image_00002.jpg',
      eventType: 'changed',
      detectedAt: new Date('2024-01-02T03:04:06.000Z'),
      analyzer: null,
      analyzerVersion: null,
    })
    expect(
      toAlertRecord({ image_event_alert_id: 1, image_event_id: 3, created_at: new Date(0), delivered_at: null, delivery_channels: null }),
    ).toEqual({ imageEventAlertId: 1, imageEventId: 3, createdAt: new Date(0), deliveredAt: null, deliveryChannels: null })
    expect(toNumber(5n)).toBe(5)
  })
})

describe('normalizeRawRow', () => {
  it('prints timestamps as ISO strings and integers as numbers, keeping column order', () => {
    const row = normalizeRawRow({
      image_id: '7',
      received_at: new Date('2024-01-02T03:04:05.678Z'),
      analyzed_at: '2024-05-01 12:00:00',
      byte_size: '42',
      l2_norm: 1.5,
      error_code: undefined,
      delivered_at: 'not a time',
    })
    expect(row).toEqual({
      image_id: 7,
      received_at: '2024-01-02T03:04:05.678Z',
      analyzed_at: '2024-05-01T12:00:00.000Z',
      byte_size: 42,
      l2_norm: 1.5,
      error_code: null,
      delivered_at: 'not a time', // shown as stored rather than failing the listing
    })
    expect(Object.keys(row)).toEqual(['image_id', 'received_at', 'analyzed_at', 'byte_size', 'l2_norm', 'error_code', 'delivered_at'])
  })
})
