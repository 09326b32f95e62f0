/**
 * What difference imaging takes from the configuration (issue 18): when a field gets a reference, how many fakes
 * each image carries, and the detection and real-bogus cuts. The defaults are in the settings rows
 * (src/config/settings.ts), the real-bogus one taken from the module that owns it.
 */
export interface ScienceOptions {
  /** Analysed frames of a field after which the analyze stage builds its reference; 0 never builds one. */
  referenceFrames: number
  /** Fake point sources injected into each science image before subtraction (their recovery is the completeness). */
  fakesPerImage: number
  /** Detection threshold on the difference image, S/N. */
  detectionSnr: number
  /** Real-bogus score (0..1) a detection needs to become part of an event. */
  realBogusMin: number
}

/**
 * The real-bogus cut's default, the score analysis/diffim/real-bogus.ts calls REAL_BOGUS_THRESHOLD (config may not
 * import analysis, so the setting's row takes it from here; test/stages/analyze/science-options.test.ts keeps the
 * two equal).
 */
export const DEFAULT_REAL_BOGUS_MIN = 0.5
