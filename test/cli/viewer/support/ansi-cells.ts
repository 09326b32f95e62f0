/**
 * Reads back what a terminal would show for text with SGR escapes: one cell per visible character with
 * its column and its 24-bit foreground and background colour. Used on the viewer's own output and on
 * tmux `capture-pane -e` captures (which may merge several colours into one `ESC[...m`).
 */
export interface Cell {
  column: number
  char: string
  /** `r,g,b`, or null for the terminal's default colour. */
  fg: string | null
  bg: string | null
}

/** Applies one SGR parameter list (`38;2;1;2;3;48;2;4;5;6`) to the current colours. */
function applySgr(params: string, state: { fg: string | null; bg: string | null }): void {
  const values = params === '' ? [0] : params.split(/[;:]/).map((part) => (part === '' ? 0 : Number(part)))
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index]
    if (value === 0) {
      state.fg = null
      state.bg = null
    } else if ((value === 38 || value === 48) && values[index + 1] === 2) {
      const rgb = values.slice(index + 2, index + 5).join(',')
      if (value === 38) state.fg = rgb
      else state.bg = rgb
      index += 4
    } else if ((value === 38 || value === 48) && values[index + 1] === 5) {
      // A 256-colour palette index: not what the viewer writes, so keep it recognisable.
      if (value === 38) state.fg = `palette ${values[index + 2]}`
      else state.bg = `palette ${values[index + 2]}`
      index += 2
    } else if (value === 39) state.fg = null
    else if (value === 49) state.bg = null
  }
}

/** The cells of one line of text; colours carry over from `state` (pass the same object for a whole capture). */
export function parseCells(line: string, state: { fg: string | null; bg: string | null } = { fg: null, bg: null }): Cell[] {
  const cells: Cell[] = []
  let column = 0
  const pattern = /\x1b\[([0-9;:]*)m|\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|([^\x1b])/gu
  for (const match of line.matchAll(pattern)) {
    if (match[1] !== undefined) applySgr(match[1], state)
    else if (match[2] !== undefined) {
      cells.push({ column, char: match[2], fg: state.fg, bg: state.bg })
      column += 1
    }
  }
  return cells
}
