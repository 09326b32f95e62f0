/**
 * The viewer's stylesheet, served as `/assets/viewer.css`: a TS module rather than a .css file so that
 * `tsc` ships it in dist/ with no copy step, and a file (not inline) so the CSP can stay `style-src 'self'`.
 */
export const VIEWER_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f4f6f9;
  --panel: #ffffff;
  --text: #1b2230;
  --muted: #5d6678;
  --line: #dde2ea;
  --accent: #2454d6;
  --accent-soft: #e8eeff;
  --fresh: #fff1b8;
  --error-bg: #fdeced;
  --error: #9b1c23;
  --notice-bg: #eef2f8;
  --live: #0b7a3e;
  --live-bg: #e1f5e9;
  --radius: 12px;
  --shadow: 0 1px 2px rgba(16, 24, 40, 0.05), 0 2px 8px rgba(16, 24, 40, 0.06);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #10141b;
    --panel: #181e28;
    --text: #e5e9f0;
    --muted: #9aa4b5;
    --line: #2a3342;
    --accent: #86a8ff;
    --accent-soft: #1f2b47;
    --fresh: #4a4215;
    --error-bg: #3a1d21;
    --error: #ffb3b8;
    --notice-bg: #1f2632;
    --live: #7be0a6;
    --live-bg: #163324;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif;
  background: var(--bg);
  color: var(--text);
}
a { color: var(--accent); }
time { white-space: nowrap; }
code, .typed { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.92em; }
.top {
  display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.75rem 2rem;
  padding: 0.9rem clamp(1rem, 3vw, 2rem);
  background: var(--panel); border-bottom: 1px solid var(--line);
}
.brand { color: var(--text); text-decoration: none; font-weight: 700; font-size: 1.15rem; letter-spacing: -0.01em; }
.brand span { color: var(--muted); font-weight: 400; }
.lookup { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; }
.lookup label { color: var(--muted); font-size: 0.92rem; }
.lookup input {
  width: 9rem; font: inherit; padding: 0.4rem 0.65rem;
  border: 1px solid var(--line); border-radius: 8px; background: var(--bg); color: var(--text);
}
.lookup input:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
button, .button {
  font: inherit; font-weight: 600; padding: 0.4rem 1rem; border: 0; border-radius: 8px;
  background: var(--accent); color: #fff; cursor: pointer;
}
@media (prefers-color-scheme: dark) { button, .button { color: #0d1424; } }
.layout {
  display: grid; grid-template-columns: minmax(0, 1fr) 22rem; gap: 1.5rem; align-items: start;
  max-width: 92rem; margin: 0 auto; padding: 1.5rem clamp(1rem, 3vw, 2rem) 3rem;
}
@media (max-width: 64rem) { .layout { grid-template-columns: minmax(0, 1fr); } }
.panel {
  background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius);
  padding: 1.25rem clamp(1rem, 2.5vw, 1.75rem); box-shadow: var(--shadow);
}
h1 { font-size: 1.55rem; line-height: 1.25; margin: 0 0 0.25rem; letter-spacing: -0.015em; }
h2 { font-size: 1.05rem; margin: 1.75rem 0 0.75rem; }
.subtitle { color: var(--muted); margin: 0 0 1.25rem; }
.figures { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 1rem; }
@media (max-width: 46rem) { .figures { grid-template-columns: minmax(0, 1fr); } }
figure { margin: 0; display: flex; flex-direction: column; gap: 0.55rem; min-width: 0; }
.frame {
  display: block; aspect-ratio: 1 / 1; border-radius: 10px; overflow: hidden;
  border: 1px solid var(--line); background: var(--bg);
}
.frame img { display: block; width: 100%; height: 100%; object-fit: contain; }
.frame.placeholder {
  display: flex; align-items: center; justify-content: center; text-align: center;
  padding: 1rem; color: var(--muted); border-style: dashed;
}
figcaption { font-size: 0.9rem; color: var(--muted); overflow-wrap: anywhere; }
figcaption strong { display: block; color: var(--text); font-size: 0.98rem; }
.metrics { display: flex; flex-wrap: wrap; gap: 0.75rem; margin: 1.25rem 0 0; padding: 0; list-style: none; }
.metrics li { flex: 1 1 9rem; background: var(--bg); border-radius: 10px; padding: 0.7rem 1rem; }
.metrics .value { display: block; font-size: 1.3rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.metrics .label { font-size: 0.85rem; color: var(--muted); }
.columns { display: grid; grid-template-columns: minmax(0, 19rem) minmax(0, 1fr); gap: 0 2rem; }
@media (max-width: 46rem) { .columns { grid-template-columns: minmax(0, 1fr); } }
.blink-stage {
  position: relative; max-width: 19rem; aspect-ratio: 1 / 1; border-radius: 10px; overflow: hidden;
  border: 1px solid var(--line);
}
.blink-stage .layer { position: absolute; inset: 0; background: var(--bg); }
.blink-stage img { display: block; width: 100%; height: 100%; object-fit: contain; }
.blink-stage .tag {
  position: absolute; left: 0.5rem; bottom: 0.5rem; padding: 0.1rem 0.5rem; border-radius: 6px;
  background: rgba(10, 14, 22, 0.72); color: #fff; font-size: 0.8rem;
}
.blink-stage .blink-top { animation: blink 1.4s steps(1, end) infinite; }
.blink.paused .blink-top { animation-play-state: paused; }
@keyframes blink { 0% { opacity: 1; } 50% { opacity: 0; } }
@media (prefers-reduced-motion: reduce) { .blink-stage .blink-top { animation-duration: 3s; } }
.blink p { font-size: 0.9rem; color: var(--muted); margin: 0.5rem 0; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.3rem 1.25rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.downloads { display: flex; flex-wrap: wrap; gap: 0.5rem; padding: 0; margin: 0; list-style: none; }
.downloads a {
  display: inline-block; padding: 0.35rem 0.8rem; border-radius: 8px; border: 1px solid var(--line);
  text-decoration: none; font-size: 0.92rem;
}
.downloads a:hover { background: var(--accent-soft); }
.message { border-radius: 10px; padding: 0.9rem 1.1rem; margin: 0 0 1rem; }
.message.error { background: var(--error-bg); color: var(--error); }
.message.notice { background: var(--notice-bg); }
.message p { margin: 0.2rem 0; }
.typed {
  background: rgba(127, 127, 127, 0.16); color: var(--text); padding: 0.05rem 0.35rem; border-radius: 5px;
  white-space: pre-wrap; overflow-wrap: anywhere;
}
.intro p { max-width: 42rem; }
.panel.recent { padding: 1.25rem; }
.recent h2 { margin: 0 0 0.75rem; display: flex; align-items: center; gap: 0.5rem; }
.live {
  font-size: 0.7rem; font-weight: 700; letter-spacing: 0.06em; text-transform: uppercase;
  color: var(--live); background: var(--live-bg); padding: 0.1rem 0.5rem; border-radius: 999px;
}
.live.offline { color: var(--muted); background: var(--notice-bg); }
.alert-list { list-style: none; margin: 0; padding: 0; }
.alert-list li { border-radius: 8px; }
.alert-list li.fresh { animation: fresh 2.5s ease-out; }
@keyframes fresh { from { background: var(--fresh); } to { background: transparent; } }
.alert-list a {
  display: grid; grid-template-columns: 2.6rem minmax(0, 1fr); column-gap: 0.4rem;
  padding: 0.45rem 0.6rem; border-radius: 8px; color: inherit; text-decoration: none;
}
.alert-list a:hover { background: var(--bg); }
.alert-list a[aria-current="page"] { background: var(--accent-soft); }
.alert-list .num { grid-row: span 2; font-weight: 700; color: var(--accent); font-variant-numeric: tabular-nums; }
.alert-list .what { overflow-wrap: anywhere; }
.alert-list .when { font-size: 0.78rem; color: var(--muted); }
.empty { color: var(--muted); margin: 0; }
.pager { display: flex; justify-content: space-between; gap: 1rem; margin-top: 0.75rem; font-size: 0.92rem; }
.pager a:only-child { margin-left: auto; }
footer { color: var(--muted); font-size: 0.85rem; text-align: center; padding: 0 1rem 2rem; }
`
