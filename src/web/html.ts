/**
 * HTML that escapes by default: every value interpolated into an {@link html} template is escaped unless it
 * is itself the result of an `html` template. Pages are built only from these templates, so an unescaped
 * value is never the easy path.
 */

import { escapeHtml } from '../core/alert-text.js'

/** A fragment of markup that is safe to insert as is. Only `html` creates one. */
export class SafeHtml {
  readonly #markup: string
  constructor(markup: string) {
    this.#markup = markup
  }
  toString(): string {
    return this.#markup
  }
}

/** What a template accepts: nothing (`null`, `undefined`, `false` render as ''), text, numbers, fragments, lists. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[]

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return ''
  if (value instanceof SafeHtml) return value.toString()
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

/** Tagged template: `html\`<p>${userText}</p>\`` escapes `userText`; nested `html` fragments pass through. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let markup = strings[0] ?? ''
  for (let index = 0; index < values.length; index += 1) {
    markup += render(values[index]) + (strings[index + 1] ?? '')
  }
  return new SafeHtml(markup)
}
