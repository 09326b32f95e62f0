import type { StreamPoint } from '../core/ports/catalog.js'
import { formatPercent } from './format.js'
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

function compact(value: number): string {
  if (value >= 1e6) return `${fixed(value / 1e6)}M`
  if (value >= 1e3) return `${fixed(value / 1e3)}k`
  return String(fixed(value))
}

/**
 * Gridlines of a value axis whose top is a {@link niceCeiling}: five divisions of 1, 2, 2.5 or 5 × 10^k give
 * steps of 0.2, 0.4, 0.5 or 1 × 10^k, values the percent format (one decimal) and `compact` write exactly.
 */
const DIVISIONS = 5

/**
 * Image-number ticks: whole numbers only, a round step (1, 2, 5 × 10^k) giving at most about eight of them,
 * within the images charted.
 */
export function imageTicks(first: number, last: number): number[] {
  const span = Math.max(1, last - first)
  let step = 1
  for (const candidate of [1, 2, 5, 10, 20, 25, 50]) {
    const power = 10 ** Math.max(0, Math.floor(Math.log10(span)) - 1)
    step = candidate * power
    if (span / step <= 8) break
  }
  const ticks: number[] = []
  for (let tick = Math.ceil(first / step) * step; tick <= last; tick += step) ticks.push(tick)
  if (ticks[0] !== first && (ticks[0] ?? last) - first >= step / 2) ticks.unshift(first)
  return ticks
}

/** A failed image's tooltip and table text: its stable code and its message, when the catalog has them. */
export function failureReason(point: Pick<StreamPoint, 'errorCode' | 'errorMessage'>): string {
  const parts = [point.errorCode, point.errorMessage].filter((part): part is string => part !== null && part !== '')
  return parts.length === 0 ? 'no reason recorded' : parts.join(': ')
}

/**
 * Changed fraction (left axis, solid) and L2 norm (right axis, dashed) against image number; alerted
 * images are red dots linking to their alert, failed images grey crosses on the axis whose tooltip says why.
 */
export function renderChangeChart(points: readonly StreamPoint[], root: string): SafeHtml {
  const height = 300
  const bottom = 40
  const plotWidth = WIDTH - LEFT - RIGHT
  const plotHeight = height - TOP - bottom
  const numbered = points.map((point, index) => ({ ...point, x: point.imageNum ?? index + 1 }))
  const xs = numbered.map((point) => point.x)
  const first = Math.min(...xs)
  const last = Math.max(...xs)
  // Half an image of room at each end: one image sits in the middle of an axis that runs from and to it.
  const xMin = first - 0.5
  const xMax = last + 0.5
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
  const ticks = Array.from({ length: DIVISIONS + 1 }, (_, index) => index / DIVISIONS)
  const baseline = TOP + plotHeight
  // A line needs two points: few images are drawn as dots too, so one analysed image is still seen.
  const dots = analysed.length <= 60 ? analysed : []
  return html`<svg class="chart" data-chart="change" role="img" aria-labelledby="change-title" viewBox="0 0 ${WIDTH} ${height}" width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">
<title id="change-title">Changed fraction and L2 norm by image number</title>
<rect x="${LEFT}" y="${TOP}" width="${plotWidth}" height="${plotHeight}" fill="#ffffff" stroke="#dde2ea"/>
${ticks.map(
  (
    tick,
  ) => html`<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${yOfFraction(tick * fractionMax)}" y2="${yOfFraction(tick * fractionMax)}" stroke="#eef1f5"/>
<text data-y-tick="changed" x="${LEFT - 6}" y="${yOfFraction(tick * fractionMax) + 4}" text-anchor="end" fill="#2454d6">${formatPercent(tick * fractionMax)}</text>
<text data-y-tick="l2" x="${LEFT + plotWidth + 6}" y="${yOfFraction(tick * fractionMax) + 4}" fill="#7a5a00">${compact(tick * l2Max)}</text>`,
)}
${imageTicks(first, last).map(
  (x) =>
    html`<line x1="${xOf(x)}" x2="${xOf(x)}" y1="${baseline}" y2="${baseline + 4}" stroke="#5d6678"/><text data-x-tick x="${xOf(x)}" y="${baseline + 16}" text-anchor="middle" fill="#5d6678">${x}</text>`,
)}
<text x="${LEFT + plotWidth / 2}" y="${height - 6}" text-anchor="middle" fill="#5d6678">image number</text>
${l2Line === '' ? '' : html`<polyline data-series="l2" points="${l2Line}" fill="none" stroke="#b8860b" stroke-width="1.5" stroke-dasharray="5 4"/>`}
${fractionLine === '' ? '' : html`<polyline data-series="changed" points="${fractionLine}" fill="none" stroke="#2454d6" stroke-width="2"/>`}
${dots.map(
  (point) =>
    html`<circle cx="${xOf(point.x)}" cy="${yOfFraction(point.changedFraction ?? 0)}" r="2.5" fill="#2454d6"><title>Image ${point.x}: ${formatPercent(point.changedFraction)} changed</title></circle>`,
)}
${numbered
  .filter((point) => point.status === 'failed')
  .map(
    (point) =>
      html`<g data-failed="${point.imageId}"><title>Image ${point.x} failed: ${failureReason(point)}</title><rect x="${xOf(point.x) - 7}" y="${baseline - 11}" width="14" height="14" fill="#ffffff" fill-opacity="0"/><path d="M${xOf(point.x) - 4},${baseline - 8}l8,8m0,-8l-8,8" stroke="#5d6678" stroke-width="2"/></g>`,
  )}
${numbered
  .filter((point) => point.alertNumber !== null)
  .map(
    (point) =>
      html`<a href="${root}?alert_num=${point.alertNumber ?? ''}" data-alert-point="${point.alertNumber ?? ''}"><circle cx="${xOf(point.x)}" cy="${yOfFraction(point.changedFraction ?? 0)}" r="6" fill="#c62828" stroke="#ffffff" stroke-width="1.5"/><title>Alert ${point.alertNumber ?? ''}: image ${point.x}, ${formatPercent(point.changedFraction)} changed</title></a>`,
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
${[0, yMax / 2, yMax]
  // Counts per minute are whole numbers: no tick at half an image.
  .filter((tick) => Number.isInteger(tick))
  .map((tick) => html`<text data-y-tick="rate" x="${LEFT - 6}" y="${yOf(tick) + 4}" text-anchor="end" fill="#5d6678">${tick}</text>`)}
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
