import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../support/cli.js'

// `npm install` on Node 20.20 printed 15 EBADENGINE warnings while engines and the README said Node 20.19+:
// @platformatic/* need Node >= 22.19, cookie@2 >= 22. npm warns for a package whose engines range does not
// hold the running Node, so a project range that is a subset of every package's range means no warning on
// any Node the project says it supports.

interface Semver {
  subset(sub: string, dom: string, options?: { loose?: boolean }): boolean
  satisfies(version: string, range: string, options?: { loose?: boolean }): boolean
  intersects(a: string, b: string, options?: { loose?: boolean }): boolean
  validRange(range: string, options?: { loose?: boolean }): string | null
}
// A dependency of the installed tree (sharp, node-abi…), without types of its own; the test only reads ranges.
const semver = createRequire(import.meta.url)('semver') as Semver

const read = (file: string): string => readFileSync(path.join(repoRoot, file), 'utf8')
const manifest = JSON.parse(read('package.json')) as { engines: { node: string } }
const projectRange = manifest.engines.node

interface LockEntry {
  engines?: unknown
  dev?: boolean
  optional?: boolean
}
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockEntry> }

/** Every locked package's own `engines.node` (dev and optional ones too: `npm ci` checks them as well). */
function lockedRanges(): { name: string; range: string }[] {
  return Object.entries(lock.packages).flatMap(([key, entry]) => {
    const engines = entry.engines
    if (key === '' || typeof engines !== 'object' || engines === null || Array.isArray(engines)) return []
    const range = (engines as Record<string, unknown>)['node']
    return typeof range === 'string' ? [{ name: key.replace(/^.*node_modules\//, ''), range }] : []
  })
}

/** The Node majors CI runs the suite on: the main run's and the fresh-clone runs' defaults in .ci/run. */
function ciMajors(): string[] {
  const script = read('.ci/run')
  const main = /IMGPIPE_CI_NODE_MAIN-(\d+)\}/.exec(script)?.[1]
  const others = /IMGPIPE_CI_NODE_VERSIONS-([\d ]+)\}/.exec(script)?.[1]
  expect(main, '.ci/run names its main Node major').toBeDefined()
  expect(others, '.ci/run names the other Node majors').toBeDefined()
  return [main ?? '', ...(others ?? '').split(' ')].filter((major) => major !== '')
}

describe('the supported Node versions', () => {
  it('are ones every locked package declares support for, so npm ci prints no EBADENGINE on them', () => {
    const ranges = lockedRanges()
    // The lock holds several hundred packages, a few dozen of them with an engines range.
    expect(ranges.length).toBeGreaterThan(50)
    const unsupported = ranges.filter(({ range }) => {
      if (semver.validRange(range, { loose: true }) === null) return false // npm ignores what it cannot parse
      return !semver.subset(projectRange, range, { loose: true })
    })
    expect(unsupported, `package.json engines.node is ${projectRange}`).toEqual([])
  })

  it('do not include Node 20, which @platformatic/kafka and cookie@2 no longer support', () => {
    expect(semver.intersects(projectRange, '20.x')).toBe(false)
    expect(semver.satisfies('20.20.2', projectRange)).toBe(false)
    expect(semver.satisfies('22.19.0', projectRange)).toBe(true)
  })

  it("include the majors CI tests on and the container image's Node", () => {
    const majors = ciMajors()
    expect(majors).toEqual(['22', '24'])
    for (const major of majors) expect(semver.intersects(`${major}.x`, projectRange), `Node ${major}`).toBe(true)
    const image = /ARG NODE_IMAGE=node:(\d+)/.exec(read('Dockerfile'))?.[1]
    expect(image).toBeDefined()
    expect(semver.intersects(`${image ?? ''}.x`, projectRange)).toBe(true)
  })

  it('are the ones the README names, and the lock file agrees with package.json', () => {
    const readme = read('README.md')
    expect(readme.includes(`\`${projectRange}\``), `the README names ${projectRange}`).toBe(true)
    expect(/Node 20\.19\+/.test(readme), 'the README still says Node 20.19+').toBe(false)
    expect((lock.packages['']?.engines as { node?: string } | undefined)?.node).toBe(projectRange)
  })
})

describe('the scripts that fetch and run a Node for CI', () => {
  it('parse, and scripts/node-dist.sh refuses a version that is not a major or x.y.z before asking npm', () => {
    for (const script of ['.ci/run', 'scripts/node-suite.sh', 'scripts/node-dist.sh']) {
      const syntax = spawnSync('bash', ['-n', path.join(repoRoot, script)], { encoding: 'utf8' })
      expect([syntax.status, syntax.stderr], script).toEqual([0, ''])
    }
    const usage = spawnSync(path.join(repoRoot, 'scripts/node-dist.sh'), ['latest'], { encoding: 'utf8' })
    expect(usage.status).toBe(2)
    expect(usage.stderr).toBe('usage: scripts/node-dist.sh <major|x.y.z>\n')
    expect(usage.stdout).toBe('')
  })
})
