import { readFileSync } from 'node:fs'

/**
 * The viewer's static files (`viewer.css`, `pictures.css`, `pages.css`, `viewer.js`, `favicon.svg`), kept as real files beside this module so
 * editors and linters check them; the build copies them into `dist/web/assets/`. Read once, at start-up, and
 * held for the life of the process: they are a few kilobytes and never change while it runs.
 */
function readAsset(name: string): string {
  return readFileSync(new URL(name, import.meta.url), 'utf8')
}

export const VIEWER_CSS = readAsset('./viewer.css')
export const PICTURES_CSS = readAsset('./pictures.css')
export const PAGES_CSS = readAsset('./pages.css')
export const VIEWER_JS = readAsset('./viewer.js')
export const FAVICON_SVG = readAsset('./favicon.svg')
