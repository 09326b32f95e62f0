/** One page of an ascending listing: the ledgers' listings all page this way, so that none reads a whole table. */
export interface Page {
  limit: number
  /** Return rows with an id strictly greater than this (ascending listings). */
  afterId?: number
}
