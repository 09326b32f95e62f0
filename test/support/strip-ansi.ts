import { stripVTControlCharacters } from 'node:util'

/** The text without its ANSI escape sequences (colours, cursor moves, titles, links), i.e. what the terminal shows. */
export function stripAnsi(text: string): string {
  return stripVTControlCharacters(text)
}
