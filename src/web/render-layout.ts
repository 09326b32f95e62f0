import { html, type HtmlValue, type SafeHtml } from './html.js'

/** Content hashes of the assets, appended as `?v=` so they can be cached as immutable. */
export interface AssetVersions {
  css: string
  js: string
  icon: string
}

export interface DocumentParts {
  title: string
  /** Relative path from the document's directory to the viewer's root: './' at `/`, '../' at `/images/x`. */
  root: string
  assets: AssetVersions
  /** What the lookup form shows in its field (the typed text, even when invalid). */
  typed?: string
  main: HtmlValue
  aside?: HtmlValue
  /** The nav entry of this page, marked as current. */
  section?: NavSection
}

/** The pages the nav leads to. */
export type NavSection = 'home' | 'streams' | 'alerts'

const NAV: readonly { section: NavSection; path: string; label: string }[] = [
  { section: 'home', path: '', label: 'Overview' },
  { section: 'streams', path: 'streams', label: 'Streams' },
  { section: 'alerts', path: 'alerts', label: 'Alerts' },
]

/** The way around: the overview, every stream, every alert. Links are relative to the root, like the rest. */
function renderNav(root: string, section: NavSection | undefined): SafeHtml {
  return html`<nav class="site" aria-label="Viewer pages">${NAV.map(
    (entry) => html`<a href="${root}${entry.path}"${entry.section === section ? html` aria-current="page"` : ''}>${entry.label}</a>`,
  )}</nav>`
}

/** The page shell: header with the lookup form, main column, optional side column. */
export function renderDocument(parts: DocumentParts): SafeHtml {
  const { root, assets } = parts
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${parts.title}</title>
<link rel="icon" type="image/svg+xml" href="${root}assets/favicon.svg?v=${assets.icon}">
<link rel="stylesheet" href="${root}assets/viewer.css?v=${assets.css}">
<script src="${root}assets/viewer.js?v=${assets.js}" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="${root}">imgpipe <span>image event viewer</span></a>
  ${renderNav(root, parts.section)}
  <form class="lookup" method="get" action="${root}" role="search">
    <label for="alert_num">Image event alert number</label>
    <input id="alert_num" name="alert_num" type="text" inputmode="numeric" autocomplete="off" spellcheck="false" value="${parts.typed ?? ''}">
    <button type="submit">Show</button>
  </form>
</header>
<div class="layout${parts.aside === undefined ? ' single' : ''}">
<main>
${parts.main}
</main>
${
  parts.aside === undefined
    ? ''
    : html`<aside>
${parts.aside}
</aside>`
}
</div>
</body>
</html>
`
}

/** A boxed message: `error` for something the visitor should fix or that failed, `notice` otherwise. */
export function renderMessage(kind: 'error' | 'notice', body: HtmlValue): SafeHtml {
  return html`<div class="message ${kind}" role="${kind === 'error' ? 'alert' : 'status'}" data-message="${kind}">${body}</div>`
}

/** A whole page for an error outside the viewer page (an unknown image, a route that does not exist). */
export function renderErrorDocument(options: { root: string; assets: AssetVersions; title: string; message: string }): SafeHtml {
  return renderDocument({
    title: `${options.title} · imgpipe`,
    root: options.root,
    assets: options.assets,
    main: html`<section class="panel">
<h1>${options.title}</h1>
${renderMessage('error', html`<p>${options.message}</p>`)}
<p><a href="${options.root}">Back to the image event viewer</a></p>
</section>`,
  })
}

/**
 * The relative path from a request path's directory to the root: `/` → './', `/images/3` → '../',
 * `/a/b/c` → '../../'. Lets every page link with relative URLs, so no host, port or mount path is baked in.
 */
export function rootFor(pathname: string): string {
  const depth = pathname.split('/').length - 2
  return depth <= 0 ? './' : '../'.repeat(depth)
}
