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
