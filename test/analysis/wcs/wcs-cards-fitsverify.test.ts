/**
 * The cards wcsCards writes are legal FITS: a minimal file (primary header with a 4×3 float32 image and the
 * WCS of a TAN-SIP frame) passes fitsverify with no errors and no warnings. The records are formatted here by a
 * test-only formatter (fixed format, FITS Standard 4.0 §4.2), independent of imgpipe's FITS writer.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { CardValue, HeaderCard } from '../../../src/analysis/fits/header-card.js'
import { wcsCards } from '../../../src/analysis/wcs/wcs-cards.js'
import { tanWcs } from '../../../src/analysis/wcs/wcs.js'
import { runTool } from '../../support/python-oracle.js'
import { inCi } from '../../support/integration.js'
import { execFileSync } from 'node:child_process'

function hasFitsverify(): boolean {
  try {
    execFileSync('fitsverify', [], { stdio: 'ignore' })
    return true
  } catch (error) {
    if ((error as { status?: number }).status !== undefined) return true
    if (inCi) throw new Error('CI=true but fitsverify is missing (scripts/services.sh oracles)', { cause: error })
    console.warn('suite skipped: fitsverify is not installed')
    return false
  }
}

function formatValue(value: CardValue): string {
  if (typeof value === 'string') return `'${value.replace(/'/g, "''").padEnd(8)}'`.padEnd(20)
  if (typeof value === 'boolean') return (value ? 'T' : 'F').padStart(20)
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 1e15) return String(value).padStart(20)
  return (value as number).toExponential(12).toUpperCase().replace('E+', 'E').padStart(20)
}

function record(card: HeaderCard): string {
  const text = card.value === undefined ? card.keyword.padEnd(8) : `${card.keyword.padEnd(8)}= ${formatValue(card.value!)}`
  const withComment = card.comment === undefined ? text : `${text} / ${card.comment}`
  return withComment.slice(0, 80).padEnd(80)
}

describe.skipIf(!hasFitsverify())('wcsCards in a FITS file', () => {
  let dir: string | undefined
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('passes fitsverify with no errors or warnings', async () => {
    const wcs = tanWcs({
      crpix: [2.5, 2],
      crval: [150.1, 2.2],
      cd: [-2.8e-4, 1.1e-6, 1.2e-6, 2.8e-4],
      sip: {
        a: { order: 2, coefficients: Float64Array.from([0, 0, 3e-6, 0, -2e-6, 0, 1e-6, 0, 0]) },
        b: { order: 2, coefficients: Float64Array.from([0, 0, -1e-6, 0, 4e-6, 0, 2e-6, 0, 0]) },
      },
    })
    const cards: HeaderCard[] = [
      { keyword: 'SIMPLE', value: true, comment: 'conforms to FITS standard' },
      { keyword: 'BITPIX', value: -32 },
      { keyword: 'NAXIS', value: 2 },
      { keyword: 'NAXIS1', value: 4 },
      { keyword: 'NAXIS2', value: 3 },
      ...wcsCards(wcs),
      { keyword: 'END' },
    ]
    let header = cards.map(record).join('')
    header = header.padEnd(Math.ceil(header.length / 2880) * 2880)
    const data = Buffer.alloc(2880)
    dir = await mkdtemp(path.join(os.tmpdir(), 'imgpipe-wcs-cards-'))
    const file = path.join(dir, 'wcs.fits')
    await writeFile(file, Buffer.concat([Buffer.from(header, 'latin1'), data]))
    const { code, output } = await runTool('fitsverify', [file])
    expect(output).toMatch(/\*\*\*\* Verification found 0 warning\(s\) and 0 error\(s\). \*\*\*\*/)
    expect(code).toBe(0)
  })
})
