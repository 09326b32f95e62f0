import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const CONFIG_DIR = path.resolve('src/config')

/** The files of src/config each file imports (type-only imports included: a circle of types is still a circle). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of readdirSync(CONFIG_DIR).filter((name) => name.endsWith('.ts'))) {
    const text = readFileSync(path.join(CONFIG_DIR, file), 'utf8')
    const targets = [...text.matchAll(/from '(\.[^']+)'/g)]
      .map((match) => path.relative(CONFIG_DIR, path.resolve(CONFIG_DIR, match[1]!)).replace(/\.js$/, '.ts'))
      .filter((target) => !target.startsWith('..'))
    graph.set(file, targets)
  }
  return graph
}

/** Every import circle of the graph, as the files along it (the first file repeated at the end). */
function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = []
  const done = new Set<string>()
  const visit = (file: string, trail: string[]): void => {
    const at = trail.indexOf(file)
    if (at >= 0) {
      found.push([...trail.slice(at), file])
      return
    }
    if (done.has(file)) return
    for (const next of graph.get(file) ?? []) visit(next, [...trail, file])
    done.add(file)
  }
  for (const file of graph.keys()) visit(file, [])
  return found
}

describe('src/config imports', () => {
  it('form no circle', () => {
    const graph = importGraph()
    expect(graph.size).toBeGreaterThan(3)
    expect(circles(graph)).toEqual([])
  })

  it('would report a circle (the check can fail)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
    ])
    expect(circles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']])
  })
})
