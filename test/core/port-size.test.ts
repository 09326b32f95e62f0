import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/**
 * Issue 15's rule for the ports: each small enough to read in one screen (at most ~15 methods), batch methods only
 * (no `recordAlert` beside `recordAlerts`). Read from the source, so that a port that grows fails here.
 */

const PORTS_DIR = path.resolve(import.meta.dirname, '../../src/core/ports')
const MAX_METHODS = 15

interface PortShape {
  file: string
  name: string
  methods: string[]
}

function portInterfaces(): PortShape[] {
  const ports: PortShape[] = []
  for (const file of readdirSync(PORTS_DIR).filter((name) => name.endsWith('.ts'))) {
    const source = ts.createSourceFile(file, readFileSync(path.join(PORTS_DIR, file), 'utf8'), ts.ScriptTarget.Latest, true)
    for (const statement of source.statements) {
      if (!ts.isInterfaceDeclaration(statement)) continue
      const methods = statement.members.filter(ts.isMethodSignature).map((member) => member.name.getText(source))
      if (methods.length > 0) ports.push({ file, name: statement.name.text, methods })
    }
  }
  return ports
}

describe('the ports', () => {
  const ports = portInterfaces()

  it('include the catalog split into stage ledgers, reports and admin', () => {
    const names = ports.map((port) => port.name)
    expect(names).toEqual(expect.arrayContaining(['ReceiveLedger', 'AnalysisLedger', 'AlertLedger', 'CatalogReports', 'CatalogAdmin']))
  })

  it('include the subscriptions split into their admin and the delivery ledger', () => {
    const names = ports.map((port) => port.name)
    expect(names).toEqual(expect.arrayContaining(['SubscriptionAdmin', 'DeliveryLedger']))
    expect(names).not.toContain('Subscriptions')
  })

  it(`declare at most ${MAX_METHODS} methods each`, () => {
    const tooWide = ports
      .filter((port) => port.methods.length > MAX_METHODS)
      .map((port) => `${port.file} ${port.name}: ${port.methods.length}`)
    expect(tooWide).toEqual([])
  })

  it('have no singular method beside its batch one', () => {
    const pairs = ports.flatMap((port) =>
      port.methods.filter((method) => port.methods.includes(`${method}s`)).map((method) => `${port.name}.${method}`),
    )
    expect(pairs).toEqual([])
  })

  it('give the whole Catalog only what it opens beside the ledgers: its subscriptions, object and science ledgers', () => {
    const catalog = ports.find((port) => port.name === 'Catalog')
    expect(catalog?.methods).toEqual(['objectLedger', 'scienceLedger'])
  })
})
