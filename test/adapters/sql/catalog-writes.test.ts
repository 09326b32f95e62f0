import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { assertUpdated } from '../../../src/adapters/sql/catalog-writes.js'
import { NotFoundError } from '../../../src/core/errors.js'
import type { RecordingKysely } from '../../support/catalog-backends.js'
import { recordingMemoryKysely } from '../../support/catalog-backends.js'

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
    await recording.db
      .insertInto('image_metadata')
      .values({ stream: 's', image_num: 1, image_filename: 'a', image_object_key: 'k' })
      .execute()
    await expect(assertUpdated(recording.db, 0n, 'image_metadata', 1)).resolves.toBeUndefined()
    await expect(assertUpdated(recording.db, 0n, 'image_event_alert', 1)).rejects.toBeInstanceOf(NotFoundError)
  })
})
