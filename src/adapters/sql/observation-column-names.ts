/**
 * The observation columns of `image_metadata` (migration 0005), in the table's order: what a FITS header says,
 * NULL for pictures. A module of its own, importing nothing, so that `imgpipe db show` can name them without
 * loading Kysely (commands load only what they need; test/cli/program.test.ts).
 */
export const OBSERVATION_COLUMNS = [
  'fits_hdu',
  'obs_mjd',
  'obs_time',
  'exposure_s',
  'filter',
  'field',
  'center_ra',
  'center_dec',
  'pixel_scale_arcsec',
  'footprint',
  'fits_header',
] as const

export type ObservationColumn = (typeof OBSERVATION_COLUMNS)[number]
