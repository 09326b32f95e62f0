import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { assertUpdated, insertAlertOnce, insertEventOnce, insertImageOnce } from '../../../src/adapters/sql/catalog-writes.js'
import { NotFoundError } from '../../../src/core/errors.js'
import type { RecordingKysely } from '../../support/catalog-backends.js'
import { recordingMemoryKysely } from '../../support/catalog-backends.js'

// The MySQL branch (ON DUPLICATE KEY UPDATE + read-back) runs in the MariaDB contract suite.
describe('idempotent inserts (RETURNING dialects)', () => {
  let recording: RecordingKysely

  beforeEach(async () => {
    recording = await recordingMemoryKysely()
  })

  afterEach(async () => {
    await recording.close()
  })

  const image = {
    stream: 's',
    image_num: 1,
    image_filename: 'a.jpg',
    image_object_key: 'image/s/a.jpg',
    received_at: '2024-01-01T00:00:00.000Z',
  }

  it('inserts a new row in one statement and returns it', async () => {
    const { row, created } = await insertImageOnce(recording.db, 'sqlite', image)
    expect(created).toBe(true)
    expect(row).toMatchObject({ image_id: 1, stream: 's', image_num: 1, status: 'received' })
    expect(recording.statements).toHaveLength(1)
    expect(recording.statements[0]).toMatch(/on conflict \("stream", "image_num"\) do nothing returning \*/)
  })

  it('returns the stored row of a duplicate with one more read, created false', async () => {
    const first = await insertImageOnce(recording.db, 'sqlite', image)
    recording.clear()
    const again = await insertImageOnce(recording.db, 'sqlite', { ...image, image_filename: 'changed.jpg' })
    expect(again).toEqual({ row: first.row, created: false })
    expect(recording.statements).toHaveLength(2)
  })

  it('keys events on image_id and alerts on image_event_id', async () => {
    await insertImageOnce(recording.db, 'sqlite', image)
    const event = { image_id: 1, difference_image_object_key: 'difference_image/s/a.jpg', detected_at: '2024-01-01T00:00:00.000Z' }
    const first = await insertEventOnce(recording.db, 'sqlite', event)
    expect(first.created).toBe(true)
    expect(await insertEventOnce(recording.db, 'sqlite', { ...event, difference_image_object_key: 'other' })).toEqual({
      row: first.row,
      created: false,
    })
    const alert = await insertAlertOnce(recording.db, 'sqlite', {
      image_event_id: first.row.image_event_id,
      created_at: '2024-01-01T00:00:00.000Z',
    })
    expect(alert.created).toBe(true)
    expect(await insertAlertOnce(recording.db, 'sqlite', { image_event_id: first.row.image_event_id })).toEqual({
      row: alert.row,
      created: false,
    })
  })
})

describe('assertUpdated', () => {
  let recording: RecordingKysely

  beforeEach(async () => {
    recording = await recordingMemoryKysely()
  })

  afterEach(async () => {
    await recording.close()
  })

  it('accepts an update that touched a row without another query', async () => {
    await assertUpdated(recording.db, 1n, 'image_metadata', 1)
    expect(recording.statements).toHaveLength(0)
  })

  it('tells a missing row (NotFoundError) from one that already held the values', async () => {
    await expect(assertUpdated(recording.db, 0n, 'image_metadata', 1)).rejects.toBeInstanceOf(NotFoundError)
    await insertImageOnce(recording.db, 'sqlite', { stream: 's', image_num: 1, image_filename: 'a', image_object_key: 'k' })
    await expect(assertUpdated(recording.db, 0n, 'image_metadata', 1)).resolves.toBeUndefined()
    await expect(assertUpdated(recording.db, 0n, 'image_event_alert', 1)).rejects.toBeInstanceOf(NotFoundError)
  })
})
