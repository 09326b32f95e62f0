import { readFileSync } from 'node:fs'

/**
 * The package's own version, read once from package.json so that `imgpipe --version` can never drift from
 * what npm publishes. The path is the same from src/cli (tests) and dist/cli (the built CLI).
 */
function readVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
  const { version } = JSON.parse(text) as { version?: unknown }
  if (typeof version !== 'string' || version === '') throw new Error('package.json has no version')
  return version
}

export const VERSION = readVersion()
