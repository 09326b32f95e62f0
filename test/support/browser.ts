/**
 * Debian's chromium through playwright-core, as the browser tests launch it: headless, no sandbox (root in a
 * container), nothing fetched from the network. In CI a missing browser fails the suite rather than skipping it.
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { inCi } from './integration.js'

export const CHROMIUM = '/usr/bin/chromium'

/** Whether `/usr/bin/chromium` is there; without it a test skips with one warning naming `what`, or throws in CI. */
export function chromiumAvailable(what: string): boolean {
  if (existsSync(CHROMIUM)) return true
  if (inCi) throw new Error(`CI=true but ${CHROMIUM} is missing: the ${what} must run in CI`)
  console.warn(`${what} skipped: ${CHROMIUM} is missing (apt-get install chromium)`)
  return false
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
