/**
 * One header card of a FITS header unit, as the science modules exchange them (FITS Standard 4.0, §4.1–4.2).
 *
 * The reader turns the 80-character records into cards, the writer formats cards into records, and the WCS,
 * stamp and mock-sky modules read and write the keywords they own through these types only.
 */

/** A card's value: FITS strings, integers (bigint beyond 2^53), reals, logicals; null for an undefined value. */
export type CardValue = string | number | boolean | bigint | null

export interface HeaderCard {
  /** Upper-case keyword, at most 8 characters (`HISTORY`, `COMMENT` and blank keywords carry no value). */
  keyword: string
  /** Absent for commentary cards; null for a keyword whose value is undefined. */
  value?: CardValue
  comment?: string
}

/** Keyword look-up over a parsed header: the WCS reads its keywords through this. */
export interface HeaderLookup {
  /** The value of the first card with this keyword (upper case), or undefined when it is absent. */
  get(keyword: string): CardValue | undefined
}

/** A look-up over a list of cards (the first card of a keyword wins, as readers of FITS do). */
export function headerLookup(cards: readonly HeaderCard[]): HeaderLookup {
  const byKeyword = new Map<string, CardValue>()
  for (const card of cards) {
    if (card.value !== undefined && !byKeyword.has(card.keyword)) byKeyword.set(card.keyword, card.value)
  }
  return { get: (keyword) => byKeyword.get(keyword.toUpperCase()) }
}
