import { MessageInvalidError } from './errors.js'

/**
 * The messages between stages. JSON, versioned by `schema_version`, and a superset of the original's:
 * `image_analysis` carried `image_num`, `image_id` and `image_filename`; `image_event_alert` carried
 * `image_event_id`. Consumers also accept the original's bare shapes: a JSON object with only `image_id`
 * (or `image_event_id`), or that number alone; the rest is looked up in the catalog.
 */

export const TOPICS = {
  imageAnalysis: 'image_analysis',
  imageEventAlert: 'image_event_alert',
} as const

/** The original's consumer group names. */
export const GROUPS = {
  imageAnalysis: 'image_analysis_group',
  imageEventAlert: 'image_event_alert_group',
} as const

/** A topic or group name after the configured prefix (IMGPIPE_TOPIC_PREFIX), so pipelines can share a cluster. */
export function topicName(config: { topicPrefix: string }, topic: string): string {
  return `${config.topicPrefix}${topic}`
}

export const SCHEMA_VERSION = 1

export interface ImageAnalysisMessage {
  schema_version: typeof SCHEMA_VERSION
  image_id: number
  image_num: number | null
  image_filename: string
  stream: string
  image_object_key: string
  received_at: string
}

export interface ImageEventAlertMessage {
  schema_version: typeof SCHEMA_VERSION
  image_event_id: number
  image_id: number
  stream: string
  image_num: number | null
  difference_image_object_key: string
  event_type: string
  detected_at: string
}

/** What a consumer needs at least; everything else can be looked up. */
export interface ImageAnalysisRequest {
  imageId: number
}
export interface ImageEventAlertRequest {
  imageEventId: number
}

function parseJson(text: string, topic: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new MessageInvalidError(`${topic} message is not JSON: ${preview(text)}`, { cause: error })
  }
}

/**
 * The start of a payload for an error message, JSON-quoted: at most ~80 characters once escaped (control
 * characters would otherwise grow sixfold), never splitting a character, "…" where cut.
 */
function preview(text: string): string {
  const limit = 80
  let shown = ''
  for (const char of text) {
    const escaped = JSON.stringify(char).slice(1, -1)
    if (shown.length + escaped.length > limit) return `"${shown}…"`
    shown += escaped
  }
  return `"${shown}"`
}

/** Short JSON text (which holds no raw control characters) for an error message; "…" where cut. */
function clip(json: string): string {
  if (json.length <= 40) return json
  const end = /[\uD800-\uDBFF]/.test(json.charAt(39)) ? 39 : 40
  return `${json.slice(0, end)}…`
}

function positiveId(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value
  if (typeof value === 'string' && /^[1-9][0-9]{0,15}$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value)
  return null
}

function readId(text: string, topic: string, field: string): number {
  const parsed = parseJson(text, topic)
  const bare = positiveId(parsed)
  if (bare !== null) return bare
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const record = parsed as Record<string, unknown>
    const version = record['schema_version']
    if (version !== undefined && version !== SCHEMA_VERSION) {
      throw new MessageInvalidError(`${topic} message has unsupported schema_version ${clip(JSON.stringify(version))}`)
    }
    const id = positiveId(record[field])
    if (id !== null) return id
  }
  throw new MessageInvalidError(`${topic} message has no valid "${field}" (a positive integer): ${preview(text)}`)
}

export function parseImageAnalysisMessage(text: string): ImageAnalysisRequest {
  return { imageId: readId(text, TOPICS.imageAnalysis, 'image_id') }
}

export function parseImageEventAlertMessage(text: string): ImageEventAlertRequest {
  return { imageEventId: readId(text, TOPICS.imageEventAlert, 'image_event_id') }
}

export function encodeMessage(message: ImageAnalysisMessage | ImageEventAlertMessage): string {
  return JSON.stringify(message)
}
