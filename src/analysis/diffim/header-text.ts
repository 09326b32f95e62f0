/**
 * FITS header text as the catalog keeps it (`ImageObservation.header`, `AnalyzerReference.header`: the 80-character
 * records joined by '\n', END left out) to and from header cards. Parsed by the FITS module's own header parser, so
 * long strings (CONTINUE) and every value form read as they do from a file.
 */
import { FITS_BLOCK, FITS_RECORD, formatCard, parseHeader } from '../fits/fits-header.js'
import type { HeaderCard } from '../fits/header-card.js'

/** The cards of header text: records separated by '\n', or one run of 80-character records without separators. */
export function cardsOfHeaderText(text: string): HeaderCard[] {
  const records: string[] = []
  if (text.includes('\n')) {
    for (const line of text.split('\n')) if (line.trim() !== '') records.push(line.slice(0, FITS_RECORD).padEnd(FITS_RECORD))
  } else {
    for (let i = 0; i < text.length; i += FITS_RECORD) records.push(text.slice(i, i + FITS_RECORD).padEnd(FITS_RECORD))
  }
  const kept = records.filter((record) => !/^END\s*$/.test(record))
  kept.push('END'.padEnd(FITS_RECORD))
  const bytes = new Uint8Array(Math.ceil((kept.length * FITS_RECORD) / FITS_BLOCK) * FITS_BLOCK).fill(0x20)
  bytes.set(Buffer.from(kept.join(''), 'latin1'))
  return parseHeader(bytes, 0, Number.MAX_SAFE_INTEGER).cards
}

/** Header text of cards: their records joined by '\n'. */
export function headerTextOf(cards: readonly HeaderCard[]): string {
  return cards.flatMap(formatCard).join('\n')
}
