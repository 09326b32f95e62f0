/**
 * The one sanitiser for text that reaches a terminal from outside the program: file names, stream names,
 * error messages quoting them, database values. C0/C1 control characters (ESC starts every escape
 * sequence) and bidirectional overrides are shown escaped, so such text can neither move the cursor,
 * change colours or the window title, nor reorder what follows it.
 */

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/** Text that cannot move the cursor, change colours or reorder what follows it on a terminal. */
export function safeText(text: string): string {
  return text.replace(UNSAFE, (char) => NAMED_ESCAPES[char] ?? `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`)
}

/**
 * A copy of a plain record (catalog rows, alert views) with every string made safe by {@link safeText};
 * dates, numbers and nulls are kept as they are. For renderers that print many fields of a record.
 */
export function safeStrings<T>(value: T): T {
  if (typeof value === 'string') return safeText(value) as T
  if (Array.isArray(value)) return value.map((item: unknown) => safeStrings(item)) as T
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, safeStrings(item)])) as T
  }
  return value
}
