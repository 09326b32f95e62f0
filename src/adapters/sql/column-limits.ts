/** Column widths the catalog truncates to rather than fail a write over an over-long message. */
export const MAX_ERROR_CODE = 64
export const MAX_ERROR_MESSAGE = 1024
export const MAX_CHANNELS = 255
/** `filter` and `field` of a FITS image: the most a FITS string card holds (80 − 10 − 2 quotes). */
export const MAX_OBSERVATION_TEXT = 68

export function truncate(text: string | null | undefined, max: number): string | null {
  if (text === null || text === undefined) return null
  return text.length > max ? text.slice(0, max) : text
}
