/** Building FITS bytes by hand for tests, and naming the reason a read failed. */
import { FitsError } from '../../../src/core/errors.js'

/** A header unit from records: each padded to 80 characters, END appended, blocks padded with spaces. */
export function headerBytes(records: readonly string[], end = true): Uint8Array {
  const text = records.map((record) => record.padEnd(80)).join('') + (end ? 'END'.padEnd(80) : '')
  return new Uint8Array(Buffer.from(text.padEnd(Math.ceil(text.length / 2880) * 2880), 'latin1'))
}

/** The FitsError reason `action` throws, or undefined when it does not throw; anything else is rethrown. */
export function reasonOf(action: () => unknown): string | undefined {
  try {
    action()
  } catch (error) {
    if (error instanceof FitsError) return error.reason
    throw error
  }
  return undefined
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts))
}
