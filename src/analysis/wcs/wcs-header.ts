/**
 * Reading the celestial WCS keywords of a FITS header into plain parameters (Greisen & Calabretta 2002, Paper I;
 * Calabretta & Greisen 2002, Paper II §2–3), with the standard's defaults and precedence as WCSLIB applies them:
 * PCi_j (+ CDELTi) over CDi_j over the old CROTA2; CUNITi converted to degrees; RADESYS/EQUINOX defaults of
 * Paper II §3.1; the old NCP as SIN. Only the primary (unlettered) description of the celestial axes 1 and 2 is read.
 */
import { WcsInvalidError } from '../../core/errors.js'
import type { CardValue, HeaderLookup } from '../fits/header-card.js'
import { ZENITHAL_CODES } from './projections.js'
import { readSip, type SipDistortion } from './sip.js'

/** Everything a Wcs is built from; readWcsParameters fills it from a header, code may build one directly. */
export interface WcsParameters {
  /** CTYPE1 and CTYPE2 as in the header, e.g. `RA---TAN-SIP`, `DEC--TAN-SIP`. */
  readonly ctype: readonly [string, string]
  /** The projection code (`TAN`, `SIN`...). */
  readonly projection: string
  /** 0 when CTYPE1 is the longitude (the usual order), 1 when CTYPE1 is the latitude. */
  readonly lngAxis: 0 | 1
  /** CRPIX1, CRPIX2: the reference pixel, FITS 1-based. */
  readonly crpix: readonly [number, number]
  /** CRVAL1, CRVAL2 in degrees, in CTYPE order. */
  readonly crval: readonly [number, number]
  /** The linear transformation in degrees per pixel, row-major [CD1_1, CD1_2, CD2_1, CD2_2]. */
  readonly cd: readonly [number, number, number, number]
  /** LONPOLE (φp) and LATPOLE in degrees; undefined takes the standard's defaults. */
  readonly lonpole?: number
  readonly latpole?: number
  /** PVi_m of the latitude axis by m (projection parameters). */
  readonly pv?: Readonly<Record<number, number>>
  /** The celestial reference system: `ICRS`, `FK5`, `FK4`, `FK4-NO-E`, `GAPPT`, or `GALACTIC`/`ECLIPTIC`... from CTYPE. */
  readonly system: string
  /** Whether `system` was written in the header (RADESYS/RADECSYS) rather than defaulted. */
  readonly systemFromHeader: boolean
  /** EQUINOX (or the old EPOCH), or the default for FK4/FK5 (1950/2000); undefined for ICRS and galactic. */
  readonly equinox?: number
  /** Which keywords gave the matrix. */
  readonly matrixFrom: 'PC' | 'CD' | 'CROTA' | 'CDELT'
  readonly sip?: SipDistortion
}

const ZENITHAL: readonly string[] = ZENITHAL_CODES
const LONGITUDE = /^(RA|GLON|ELON|SLON|HLON|[A-Z]LON|[A-Z]{2}LN)$/
const LATITUDE = /^(DEC|GLAT|ELAT|SLAT|HLAT|[A-Z]LAT|[A-Z]{2}LT)$/
const SYSTEM_BY_PREFIX: Record<string, string> = { G: 'GALACTIC', E: 'ECLIPTIC', S: 'SUPERGALACTIC', H: 'HELIOECLIPTIC' }
/** Degrees per unit of the angular CUNITi values WCSLIB accepts for celestial axes. */
const DEGREES_PER_UNIT: Record<string, number> = {
  deg: 1,
  arcmin: 1 / 60,
  arcsec: 1 / 3600,
  mas: 1 / 3.6e6,
  rad: 180 / Math.PI,
}

export function readWcsParameters(header: HeaderLookup): WcsParameters {
  const ctype1 = text(header, 'CTYPE1')
  const ctype2 = text(header, 'CTYPE2')
  if (ctype1 === undefined || ctype2 === undefined) throw new WcsInvalidError('the header has no celestial WCS (CTYPE1/CTYPE2 missing)')
  const axis1 = parseCtype(ctype1)
  const axis2 = parseCtype(ctype2)
  let lngAxis: 0 | 1
  if (LONGITUDE.test(axis1.coordinate) && LATITUDE.test(axis2.coordinate)) lngAxis = 0
  else if (LATITUDE.test(axis1.coordinate) && LONGITUDE.test(axis2.coordinate)) lngAxis = 1
  else
    throw new WcsInvalidError(
      `CTYPE1=${JSON.stringify(ctype1)} and CTYPE2=${JSON.stringify(ctype2)} are not a celestial longitude/latitude pair`,
    )
  if (axis1.projection !== axis2.projection) {
    throw new WcsInvalidError(`CTYPE1 and CTYPE2 name different projections (${axis1.projection}, ${axis2.projection})`)
  }

  const unit1 = unitScale(header, 1)
  const unit2 = unitScale(header, 2)
  const crpix: [number, number] = [number(header, 'CRPIX1') ?? 0, number(header, 'CRPIX2') ?? 0]
  const crval: [number, number] = [(number(header, 'CRVAL1') ?? 0) * unit1, (number(header, 'CRVAL2') ?? 0) * unit2]
  const { cd, matrixFrom } = readMatrix(header)
  const scaled: [number, number, number, number] = [cd[0] * unit1, cd[1] * unit1, cd[2] * unit2, cd[3] * unit2]

  const latAxis = lngAxis === 0 ? 2 : 1
  const lngAxisNumber = lngAxis === 0 ? 1 : 2
  const pv: Record<number, number> = {}
  for (let m = 0; m < 30; m++) {
    const value = number(header, `PV${latAxis}_${m}`)
    if (value !== undefined) pv[m] = value
  }
  // PVi_1/PVi_2 of the longitude axis move the fiducial point (Paper II §2.5): rare, and not implemented.
  const phi0 = number(header, `PV${lngAxisNumber}_1`)
  const theta0 = number(header, `PV${lngAxisNumber}_2`)
  const defaultTheta0 = ZENITHAL.includes(axis1.projection) ? 90 : 0
  if ((phi0 !== undefined && phi0 !== 0) || (theta0 !== undefined && theta0 !== defaultTheta0)) {
    throw new WcsInvalidError(`PV${lngAxisNumber}_1/PV${lngAxisNumber}_2 (a moved fiducial point) are not supported`)
  }
  let projection = axis1.projection
  let ctype: [string, string] = [ctype1, ctype2]
  if (projection === 'NCP') {
    // The old AIPS north-celestial-pole projection is SIN with ξ = 0, η = cot δ0 (Paper II §6.1.2), as WCSLIB's celfix.
    const delta0 = (crval[1 - lngAxis]! * Math.PI) / 180
    if (delta0 === 0) throw new WcsInvalidError('an NCP projection with its reference point on the equator is undefined')
    pv[1] = 0
    pv[2] = Math.cos(delta0) / Math.sin(delta0)
    projection = 'SIN'
    ctype = [ctype1.replace('NCP', 'SIN'), ctype2.replace('NCP', 'SIN')]
  }
  const lonpole = number(header, 'LONPOLE') ?? number(header, `PV${lngAxisNumber}_3`)
  const latpole = number(header, 'LATPOLE') ?? number(header, `PV${lngAxisNumber}_4`)

  const frame = readFrame(header, lngAxis === 0 ? axis1.coordinate : axis2.coordinate)
  const sip = readSip(header)
  return {
    ctype,
    projection,
    lngAxis,
    crpix,
    crval,
    cd: scaled,
    ...(lonpole === undefined ? {} : { lonpole }),
    ...(latpole === undefined ? {} : { latpole }),
    ...(Object.keys(pv).length === 0 ? {} : { pv }),
    ...frame,
    matrixFrom,
    ...(sip === undefined ? {} : { sip }),
  }
}

/** "RA---TAN-SIP" → coordinate RA, projection TAN (the "4-3" form of Paper I §2.1.1, with SIP's suffix). */
function parseCtype(ctype: string): { coordinate: string; projection: string } {
  const match = /^([A-Z0-9]{1,4})-*-([A-Z0-9]{3})(-SIP)?\s*$/.exec(ctype.trim().toUpperCase())
  if (match === null || ctype.trim().length < 8) throw new WcsInvalidError(`CTYPE ${JSON.stringify(ctype)} names no projection`)
  return { coordinate: match[1]!, projection: match[2]! }
}

function readMatrix(header: HeaderLookup): { cd: [number, number, number, number]; matrixFrom: WcsParameters['matrixFrom'] } {
  const cdelt1 = number(header, 'CDELT1')
  const cdelt2 = number(header, 'CDELT2')
  const pcKeys = ['PC1_1', 'PC1_2', 'PC2_1', 'PC2_2'] as const
  const cdKeys = ['CD1_1', 'CD1_2', 'CD2_1', 'CD2_2'] as const
  // PC00i00j / CD00i00j: the defunct keyword forms of early WCS drafts, still written by some pipelines (WCSLIB reads them).
  const defunct = (key: string): string => `${key.slice(0, 2)}00${key[2]}00${key[4]}`
  const pc = pcKeys.map((key) => number(header, key) ?? number(header, defunct(key)))
  const cd = cdKeys.map((key) => number(header, key) ?? number(header, defunct(key)))
  if (pc.some((value) => value !== undefined)) {
    const [p11, p12, p21, p22] = pc.map((value, i) => value ?? (i === 0 || i === 3 ? 1 : 0)) as [number, number, number, number]
    const c1 = cdelt1 ?? 1
    const c2 = cdelt2 ?? 1
    return { cd: [c1 * p11, c1 * p12, c2 * p21, c2 * p22], matrixFrom: 'PC' }
  }
  if (cd.some((value) => value !== undefined)) {
    return { cd: cd.map((value) => value ?? 0) as [number, number, number, number], matrixFrom: 'CD' }
  }
  // Neither matrix: the standard's default of 1° per pixel never describes a real sky image, so it is an error here.
  if (cdelt1 === undefined || cdelt2 === undefined) throw new WcsInvalidError('the header has neither CDi_j nor CDELT1/CDELT2')
  const crota = number(header, 'CROTA2') ?? number(header, 'CROTA1')
  if (crota !== undefined && crota !== 0) {
    // Paper II eq. 189 (the AIPS convention): rotation of the latitude axis.
    const r = (crota * Math.PI) / 180
    const cos = Math.cos(r)
    const sin = Math.sin(r)
    return { cd: [cdelt1 * cos, -cdelt2 * sin, cdelt1 * sin, cdelt2 * cos], matrixFrom: 'CROTA' }
  }
  return { cd: [cdelt1, 0, 0, cdelt2], matrixFrom: 'CDELT' }
}

/** RADESYS and EQUINOX with the defaults of Paper II §3.1 (equatorial) or the system CTYPE implies. */
function readFrame(header: HeaderLookup, lngCoordinate: string): Pick<WcsParameters, 'system' | 'systemFromHeader' | 'equinox'> {
  const written = text(header, 'RADESYS') ?? text(header, 'RADECSYS')
  let equinox = number(header, 'EQUINOX') ?? number(header, 'EPOCH')
  if (lngCoordinate !== 'RA') {
    const system = SYSTEM_BY_PREFIX[lngCoordinate[0]!] ?? lngCoordinate
    return { system, systemFromHeader: false, ...(equinox === undefined ? {} : { equinox }) }
  }
  let system: string
  if (written !== undefined) system = written.trim().toUpperCase()
  else if (equinox === undefined) system = 'ICRS'
  else system = equinox < 1984 ? 'FK4' : 'FK5'
  if (equinox === undefined) {
    if (system === 'FK5') equinox = 2000
    else if (system === 'FK4' || system === 'FK4-NO-E') equinox = 1950
  }
  return { system, systemFromHeader: written !== undefined, ...(equinox === undefined || system === 'ICRS' ? {} : { equinox }) }
}

function unitScale(header: HeaderLookup, axis: number): number {
  const unit = text(header, `CUNIT${axis}`)
  if (unit === undefined || unit.trim() === '') return 1
  const scale = DEGREES_PER_UNIT[unit.trim().toLowerCase() === 'degree' ? 'deg' : unit.trim()]
  if (scale === undefined) throw new WcsInvalidError(`CUNIT${axis}=${JSON.stringify(unit)} is not an angle unit`)
  return scale
}

function number(header: HeaderLookup, keyword: string): number | undefined {
  const value: CardValue | undefined = header.get(keyword)
  if (value === undefined || value === null) return undefined
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new WcsInvalidError(`${keyword} is not a finite number`)
    return value
  }
  if (typeof value === 'bigint') return Number(value)
  throw new WcsInvalidError(`${keyword} must be a number, not ${JSON.stringify(String(value))}`)
}

function text(header: HeaderLookup, keyword: string): string | undefined {
  const value = header.get(keyword)
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw new WcsInvalidError(`${keyword} must be a string, not ${String(value)}`)
  return value
}
