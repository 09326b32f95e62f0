import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../support/cli.js'

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8')
const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!)

describe('the README', () => {
  it('links only to files inside the repository or to web addresses, so every link works in a clone', () => {
    const relative = links.filter((link) => !/^(https?:|mailto:|#)/.test(link))
    expect(relative.length).toBeGreaterThan(0)
    for (const link of relative) {
      const target = path.resolve(repoRoot, link.split('#')[0]!)
      expect(target.startsWith(repoRoot + path.sep), `${link} leaves the repository`).toBe(true)
      expect(existsSync(target), `${link} does not exist`).toBe(true)
    }
  })

  it('links the original pipeline at its public repository', () => {
    expect(links).toContain('https://github.com/patflynngithub/cloud-mock-kafka-image-pipeline')
  })
})
