import type { StreamPoint } from '../core/ports/catalog.js'
import { html, type SafeHtml } from './html.js'

/**
 * Inline SVG charts for the stream page. Plain markup with presentation attributes (no `style`, no
 * script), so the page's CSP allows them and they render without any external asset. Every text that
 * comes from the catalog goes through `html` and is escaped.
 */

const WIDTH = 760
const LEFT = 56
const RIGHT = 64
const TOP = 14

/** A round upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten, at least `value`. */
export function niceCeiling(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value * (1 - 1e-9)) return step * power
  return 10 * power
}

const fixed = (value: number) => Number(value.toFixed(1))

function percentLabel(fraction: number): string {
  return `${Number((fraction * 100).toFixed(1))} %`
}

function compact(value: number): string {
  if (value >= 1e6) return `${fixed(value / 1e6)}M`
  if (value >= 1e3) return `${fixed(value / 1e3)}k`
  return String(fixed(value))
}

/**
 * Changed fraction (left axis, solid) and L2 norm (right axis, dashed) against image number; alerted
 * images are red dots linking to their alert, failed images grey marks on the axis.
 */
export function renderChangeChart(points: readonly StreamPoint[], root: string): SafeHtml {
  const height = 300
  const bottom = 40
  const plotWidth = WIDTH - LEFT - RIGHT
  const plotHeight = height - TOP - bottom
  const numbered = points.map((point, index) => ({ ...point, x: point.imageNum ?? index + 1 }))
  const xs = numbered.map((point) => point.x)
  let xMin = Math.min(...xs)
  let xMax = Math.max(...xs)
  if (xMin === xMax) [xMin, xMax] = [xMin - 1, xMax + 1]
  const analysed = numbered.filter((point) => point.changedFraction !== null)
  const fractionMax = niceCeiling(Math.max(0.01, ...analysed.map((point) => point.changedFraction ?? 0)))
  const l2Max = niceCeiling(Math.max(1, ...analysed.map((point) => point.l2Norm ?? 0)))
  const xOf = (x: number) => fixed(LEFT + ((x - xMin) / (xMax - xMin)) * plotWidth)
  const yOfFraction = (value: number) => fixed(TOP + plotHeight - (value / fractionMax) * plotHeight)
  const yOfL2 = (value: number) => fixed(TOP + plotHeight - (value / l2Max) * plotHeight)
  const fractionLine = analysed.map((point) => `${xOf(point.x)},${yOfFraction(point.changedFraction ?? 0)}`).join(' ')
  const l2Line = analysed
    .filter((point) => point.l2Norm !== null)
    .map((point) => `${xOf(point.x)},${yOfL2(point.l2Norm ?? 0)}`)
    .join(' ')
  const ticks = [0, 0.25, 0.5, 0.75, 1]
  const xTicks = [...new Set([xMin, Math.round((xMin + xMax) / 2), xMax])].filter((x) => Number.isInteger(x) && x >= 1)
  const baseline = TOP + plotHeight
  return html`<svg class="chart" data-chart="change" role="img" aria-labelledby="change-title" viewBox="0 0 ${WIDTH} ${height}" width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">
<title id="change-title">Changed fraction and L2 norm by image number</title>
<rect x="${LEFT}" y="${TOP}" width="${plotWidth}" height="${plotHeight}" fill="#ffffff" stroke="#dde2ea"/>
${ticks.map(
  (
    tick,
  ) => html`<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${yOfFraction(tick * fractionMax)}" y2="${yOfFraction(tick * fractionMax)}" stroke="#eef1f5"/>
<text x="${LEFT - 6}" y="${yOfFraction(tick * fractionMax) + 4}" text-anchor="end" fill="#2454d6">${percentLabel(tick * fractionMax)}</text>
<text x="${LEFT + plotWidth + 6}" y="${yOfFraction(tick * fractionMax) + 4}" fill="#7a5a00">${compact(tick * l2Max)}</text>`,
)}
${xTicks.map((x) => html`<text x="${xOf(x)}" y="${baseline + 16}" text-anchor="middle" fill="#5d6678">${x}</text>`)}
<text x="${LEFT + plotWidth / 2}" y="${height - 6}" text-anchor="middle" fill="#5d6678">image number</text>
${l2Line === '' ? '' : html`<polyline data-series="l2" points="${l2Line}" fill="none" stroke="#b8860b" stroke-width="1.5" stroke-dasharray="5 4"/>`}
${fractionLine === '' ? '' : html`<polyline data-series="changed" points="${fractionLine}" fill="none" stroke="#2454d6" stroke-width="2"/>`}
${numbered
  .filter((point) => point.status === 'failed')
  .map(
    (point) =>
      html`<path data-failed="${point.imageId}" d="M${xOf(point.x) - 4},${baseline - 4}l8,8m0,-8l-8,8" stroke="#5d6678" stroke-width="1.5"><title>Image ${point.x}: analysis failed</title></path>`,
  )}
${numbered
  .filter((point) => point.alertNumber !== null)
  .map(
    (point) =>
      html`<a href="${root}?alert_num=${point.alertNumber ?? ''}" data-alert-point="${point.alertNumber ?? ''}"><circle cx="${xOf(point.x)}" cy="${yOfFraction(point.changedFraction ?? 0)}" r="6" fill="#c62828" stroke="#ffffff" stroke-width="1.5"/><title>Alert ${point.alertNumber ?? ''}: image ${point.x}, ${percentLabel(point.changedFraction ?? 0)} changed</title></a>`,
  )}
</svg>`
}

/** Images received and alerts raised per minute over the last hour, as paired bars (oldest on the left). */
export function renderRateChart(imageTimes: readonly Date[], alertTimes: readonly Date[], now: Date): SafeHtml {
  const minutes = 60
  const height = 170
  const bottom = 34
  const plotWidth = WIDTH - LEFT - RIGHT
  const plotHeight = height - TOP - bottom
  const bucket = (times: readonly Date[]) => {
    const counts = new Array<number>(minutes).fill(0)
    for (const time of times) {
      const age = Math.floor((now.getTime() - time.getTime()) / 60_000)
      if (age >= 0 && age < minutes) counts[minutes - 1 - age] = (counts[minutes - 1 - age] ?? 0) + 1
    }
    return counts
  }
  const images = bucket(imageTimes)
  const alerts = bucket(alertTimes)
  const yMax = niceCeiling(Math.max(1, ...images, ...alerts))
  const slot = plotWidth / minutes
  const bar = Math.max(1, fixed(slot / 2 - 1))
  const yOf = (count: number) => fixed(TOP + plotHeight - (count / yMax) * plotHeight)
  const baseline = TOP + plotHeight
  return html`<svg class="chart" data-chart="rates" role="img" aria-labelledby="rates-title" viewBox="0 0 ${WIDTH} ${height}" width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">
<title id="rates-title">Images and alerts per minute, last hour</title>
<rect x="${LEFT}" y="${TOP}" width="${plotWidth}" height="${plotHeight}" fill="#ffffff" stroke="#dde2ea"/>
${[0, 0.5, 1].map(
  (tick) => html`<text x="${LEFT - 6}" y="${yOf(tick * yMax) + 4}" text-anchor="end" fill="#5d6678">${fixed(tick * yMax)}</text>`,
)}
${images.map((count, minute) =>
  count === 0
    ? ''
    : html`<rect data-images-minute="${minute}" x="${fixed(LEFT + minute * slot)}" y="${yOf(count)}" width="${bar}" height="${fixed(baseline - yOf(count))}" fill="#8aa4e8"><title>${count} images</title></rect>`,
)}
${alerts.map((count, minute) =>
  count === 0
    ? ''
    : html`<rect data-alerts-minute="${minute}" x="${fixed(LEFT + minute * slot + bar)}" y="${yOf(count)}" width="${bar}" height="${fixed(baseline - yOf(count))}" fill="#c62828"><title>${count} alerts</title></rect>`,
)}
<text x="${LEFT}" y="${baseline + 16}" fill="#5d6678">60 min ago</text>
<text x="${LEFT + plotWidth / 2}" y="${baseline + 16}" text-anchor="middle" fill="#5d6678">30 min ago</text>
<text x="${LEFT + plotWidth}" y="${baseline + 16}" text-anchor="end" fill="#5d6678">now</text>
</svg>`
}
