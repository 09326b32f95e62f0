import { existsSync } from 'node:fs'
import path from 'node:path'

/**
 * Loads `.env` from the working directory when there is one, for settings a developer keeps beside a checkout.
 * Node's loader leaves variables that are already set alone, so the real environment always wins; a missing
 * file is normal, and a file that cannot be read is reported (it is better not to start on half a config).
 */
export function loadDotEnv(cwd = process.cwd()): string | undefined {
  const file = path.join(cwd, '.env')
  if (!existsSync(file)) return undefined
  process.loadEnvFile(file)
  return file
}
