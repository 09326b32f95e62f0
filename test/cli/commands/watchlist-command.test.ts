import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseConesCsv } from '../../../src/cli/commands/watchlist-command.js'
import { freshDatabaseUrl } from '../../support/catalog-backends.js'
import type { FreshDatabase } from '../../support/catalog-backends.js'
import { cleanEnv, runCli } from '../../support/cli.js'

describe('imgpipe watchlist', () => {
  let db: FreshDatabase
  let dir: string
  let env: Record<string, string>

  beforeEach(async () => {
    db = (await freshDatabaseUrl('sqlite'))!
    dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-watchlist-'))
    env = cleanEnv({ IMGPIPE_DATABASE_URL: db.url, IMGPIPE_OBJECT_STORE_URL: `file:${dir}/store`, NODE_NO_WARNINGS: '1' })
  })

  afterEach(async () => {
    await db.cleanup()
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses a CSV with bad rows, naming each by line, and adds nothing', async () => {
    const file = path.join(dir, 'cones.csv')
    await writeFile(
      file,
      [
        'ra,dec,radius_arcsec,name',
        '10.5,20,2,good',
        '',
        '400,20,2,too-far-east',
        '10,-95,2,below-the-pole',
        '10,20,abc,no-radius',
        '1,2,3',
      ].join('\n'),
    )
    const result = await runCli(['watchlist', 'add', 'targets', '--file', file], env)
    expect(result.code).toBe(2)
    expect(result.stderr.split('\n').filter((line) => line.startsWith('imgpipe:'))).toEqual([
      'imgpipe: cones.csv line 4: ra "400" is not a number of degrees in [0, 360)',
      'imgpipe: cones.csv line 5: dec "-95" is not a number of degrees in [-90, 90]',
      'imgpipe: cones.csv line 6: radius_arcsec "abc" is not in (0, 3600]',
      'imgpipe: cones.csv line 7: 3 fields, the header has 4',
      'imgpipe: cones.csv: 4 bad rows, watchlist not added [IMGPIPE_USAGE]',
    ])
    const list = await runCli(['watchlist', 'list', '--json'], env)
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout)).toEqual([])
  })

  it('adds, lists, matches and removes a watchlist', async () => {
    const file = path.join(dir, 'cones.csv')
    await writeFile(file, 'name,ra,dec,radius_arcsec\n"SN 2026a, host",150.1,2.2,3\nagn,359.9999,-10,5\n')
    const added = await runCli(['watchlist', 'add', 'targets', '--file', file], env)
    expect(added.stderr).toBe('')
    expect(added.stdout).toBe('watchlist 1 targets added with 2 cones\n')
    const listed = await runCli(['watchlist', 'list', '--json'], env)
    expect(JSON.parse(listed.stdout)).toMatchObject([{ watchlistId: 1, name: 'targets', cones: 2 }])
    const match = await runCli(['watchlist', 'match', '0.0003', '-10', '--json'], env)
    expect(JSON.parse(match.stdout)).toMatchObject([{ watchlist: 'targets', name: 'agn', ra: 359.9999, dec: -10, radiusArcsec: 5 }])
    const quoted = await runCli(['watchlist', 'match', '150.1', '2.2'], env)
    expect(quoted.stdout).toBe('targets SN 2026a, host (3″)\n')
    const again = await runCli(['watchlist', 'add', 'targets', '--file', file], env)
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/IMGPIPE_CATALOG_CONFLICT/)
    expect((await runCli(['watchlist', 'remove', 'targets'], env)).stdout).toBe('watchlist targets removed\n')
    const gone = await runCli(['watchlist', 'remove', 'targets'], env)
    expect(gone.code).toBe(1)
    expect(gone.stderr).toMatch(/no watchlist targets/)
  })

  it('reads a header in any column order and reports a header without the columns', () => {
    expect(parseConesCsv('dec,name,ra,radius_arcsec\n-5,a,1,2\n', 'c.csv')).toEqual({
      cones: [{ name: 'a', ra: 1, dec: -5, radiusArcsec: 2 }],
      errors: [],
    })
    expect(parseConesCsv('ra,dec\n1,2\n', 'c.csv').errors).toEqual([
      'c.csv line 1: header lacks radius_arcsec, name (expected ra,dec,radius_arcsec,name)',
    ])
    expect(parseConesCsv('\n\n', 'c.csv').errors).toEqual(['c.csv: empty, expected a header ra,dec,radius_arcsec,name'])
  })
})
