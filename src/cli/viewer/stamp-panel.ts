import { formatDecDms, formatRaHms } from '../../core/sexagesimal.js'
import { MISSING } from '../../core/alert-text.js'
import type { DiaSourceRecord } from '../../core/ports/object-ledger.js'
import { pictureLines, PANEL_GAP, panelWidth, type PanelPicture } from './alert-panel.js'
import { composePanels, wrapSegments, type Panel } from './compose-panels.js'

/**
 * Difference imaging in the terminal (issue 18): under an alert's three pictures, its most significant detection —
 * the science, reference and difference stamps side by side (63×63 pixels: at most 63 columns by 32 rows each) and
 * its measurement in one line, as the web page's Detections card says it.
 */

/** The three stamps of one detection, decoded from their PNG derivatives; null where the event has none. */
export interface DetectionStamps {
  science: PanelPicture | null
  reference: PanelPicture | null
  difference: PanelPicture | null
}

/** A stamp is drawn no larger than its own pixels: one column per pixel, two pixels per row. */
const STAMP_PIXELS = 63

/** `Detection 1 of 3 (most significant): 10h00m28.384s +02°11′05.76″ · PSF flux 5230.4 ± 61.2 · S/N 85.5 · …`. */
function measurementLine(detection: DiaSourceRecord, number: number, total: number): string[] {
  return [
    `Detection ${number} of ${total}${total > 1 ? ' (most significant)' : ''}: ${formatRaHms(detection.ra)} ${formatDecDms(detection.dec)}`,
    `PSF flux ${fixed(detection.psfFlux, 1)} ± ${fixed(detection.psfFluxErr, 1)}`,
    `S/N ${fixed(detection.snr, 1)}`,
    detection.kind,
    `real-bogus ${fixed(detection.realBogus, 2)}`,
    `FWHM ${optional(detection.fwhm, 2, ' px')}`,
    `elongation ${optional(detection.elongation, 2, '')}`,
    `pixel ${fixed(detection.x, 1)}, ${fixed(detection.y, 1)}`,
    `object ${detection.objectId}`,
  ]
}

/** The measurement, wrapped between fields to `width`, then the three stamps with their captions. */
export async function renderDetectionStamps(
  detection: DiaSourceRecord,
  position: { number: number; total: number },
  stamps: DetectionStamps,
  options: { width: number; maxRows?: number },
): Promise<string> {
  const columns = Math.min(panelWidth(options.width), STAMP_PIXELS)
  const maxRows = Math.min(options.maxRows ?? Number.MAX_SAFE_INTEGER, Math.ceil(STAMP_PIXELS / 2))
  const panels: Panel[] = []
  for (const kind of ['science', 'reference', 'difference'] as const) {
    const picture = stamps[kind]
    panels.push({
      lines: await pictureLines(picture ?? { unavailable: `no ${kind} stamp` }, columns, maxRows),
      caption: `${kind} stamp`,
      width: columns,
    })
  }
  const header = wrapSegments(measurementLine(detection, position.number, position.total), ' · ', options.width)
  return `${header.join('\n')}\n\n${composePanels(panels, PANEL_GAP)}\n`
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : MISSING
}

function optional(value: number | null | undefined, digits: number, unit: string): string {
  return value === null || value === undefined ? MISSING : `${fixed(value, digits)}${unit}`
}
