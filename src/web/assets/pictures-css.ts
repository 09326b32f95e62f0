/** Styles of the pictures (thumbnails in the alert list, the stream page's charts); served after viewer.css. */
export const PICTURES_CSS = `
.alert-list a { grid-template-columns: 2.6rem minmax(0, 1fr) auto; }
.alert-list .thumb {
  grid-column: 3; grid-row: 1 / span 2; align-self: center; width: 64px; height: 48px;
  object-fit: cover; border-radius: 4px; background: var(--bg); margin-left: 0.5rem;
}
.stream-link { margin: -0.3rem 0 0.8rem; font-size: 0.92rem; }
.stream h2 { font-size: 1.05rem; margin: 1.4rem 0 0.3rem; }
.chart { display: block; width: 100%; height: auto; max-width: 56rem; }
.legend { font-size: 0.85rem; color: var(--muted); margin: 0 0 0.4rem; }
.legend .key { display: inline-block; width: 0.9rem; height: 0.55rem; margin: 0 0.35rem 0 0.8rem; border-radius: 2px; vertical-align: middle; }
.legend .key:first-child { margin-left: 0; }
.legend .key.changed { background: #2454d6; }
.legend .key.l2 { background: #b8860b; }
.legend .key.alert { background: #c62828; border-radius: 50%; width: 0.6rem; height: 0.6rem; }
.legend .key.images { background: #8aa4e8; }
.stream-alerts { columns: 14rem; padding-left: 1.2rem; font-size: 0.92rem; }
`
