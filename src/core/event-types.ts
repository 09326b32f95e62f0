import type { EventTypeRecord } from './ports/science-ledger.js'
import type { EventType } from './types.js'

/**
 * The rows of `image_event_type` (migration 0006), written once: the SQL migration seeds them and the memory
 * ledger serves them.
 */
export const EVENT_TYPES: readonly (EventTypeRecord & { readonly name: EventType })[] = [
  { name: 'changed', description: 'the image differs from the one before it (pixel comparison)' },
  { name: 'size_changed', description: 'the image has other dimensions than the one before it (pixel comparison)' },
  { name: 'new_source', description: 'a source on the difference image where the reference has none' },
  { name: 'brightening', description: 'a known source brighter than on the reference' },
  { name: 'fading', description: 'a source fainter than on the reference (negative difference flux)' },
]
