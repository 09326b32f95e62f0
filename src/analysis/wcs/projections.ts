/** The registry of supported projections by CTYPE code (Paper II §5). */
import { WcsInvalidError } from '../../core/errors.js'
import { cylindricalProjection } from './cylindrical.js'
import type { Projection, ProjectionParameters } from './projection.js'
import { zenithalProjection } from './zenithal.js'

export const ZENITHAL_CODES = ['TAN', 'SIN', 'ARC', 'ZEA', 'STG', 'AZP', 'ZPN'] as const
export const CYLINDRICAL_CODES = ['CAR', 'CEA', 'MER', 'CYP', 'SFL', 'PAR', 'MOL', 'AIT'] as const
export const PROJECTION_CODES: readonly string[] = [...ZENITHAL_CODES, ...CYLINDRICAL_CODES]

/** The projection a CTYPE code names, with its parameters; throws WcsInvalidError for codes we do not implement. */
export function makeProjection(code: string, pv: ProjectionParameters): Projection {
  const projection = zenithalProjection(code, pv) ?? cylindricalProjection(code, pv)
  if (projection === undefined) {
    throw new WcsInvalidError(`projection ${JSON.stringify(code)} is not supported (supported: ${PROJECTION_CODES.join(', ')})`)
  }
  return projection
}
