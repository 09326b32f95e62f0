import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { freshDatabaseUrl, type FreshDatabase } from '../../support/catalog-backends.js'
import { cleanEnv, runCli } from '../../support/cli.js'

/** The detection filter flags of `imgpipe subscription add` (issue 19), through the built CLI. */
describe('imgpipe subscription add: detection filters', () => {
  let db: FreshDatabase
  let dir: string
  let env: Record<string, string>

  beforeEach(async () => {
    db = (await freshDatabaseUrl('sqlite'))!
    dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-subscription-filter-'))
    env = cleanEnv({ IMGPIPE_DATABASE_URL: db.url, IMGPIPE_OBJECT_STORE_URL: `file:${dir}/store`, NODE_NO_WARNINGS: '1' })
    expect((await runCli(['subscriber', 'add', 'ann'], env)).code).toBe(0)
  })

  afterEach(async () => {
    await db.cleanup()
    await rm(dir, { recursive: true, force: true })
  })

  it('stores every flag in the filter, shown by list --json and described by list', async () => {
    const cones = path.join(dir, 'cones.csv')
    await writeFile(cones, 'ra,dec,radius_arcsec,name\n10,20,5,x\n')
    expect((await runCli(['watchlist', 'add', 'targets', '--file', cones], env)).code).toBe(0)
    const flags = ['--channel', 'kafka-topic', '--target', 'alerts-ann', '--subscriber', 'ann']
    const added = await runCli(
      [
        'subscription',
        'add',
        'transients',
        ...flags,
        '--watchlist',
        'targets',
        '--min-snr',
        '5',
        '--min-flux',
        '120.5',
        '--max-mag',
        '20.5',
        '--min-real-bogus',
        '0.6',
        '--min-detections',
        '2',
        '--event-type',
        'new_source',
        '--event-type',
        'fading',
      ],
      env,
    )
    expect(added.stderr).toBe('')
    expect(added.stdout).toBe(
      'subscription 1 transients: kafka-topic → alerts-ann (types new_source,fading; a detection in watchlist targets, ' +
        '|S/N| >= 5, |flux| >= 120.5 ADU, mag <= 20.5, real-bogus >= 0.6, >= 2 earlier detections)\n',
    )
    const listed = await runCli(['subscription', 'list', '--json'], env)
    expect(listed.code).toBe(0)
    expect(JSON.parse(listed.stdout)).toMatchObject([
      {
        name: 'transients',
        filter: {
          eventTypes: ['new_source', 'fading'],
          watchlists: ['targets'],
          minSnr: 5,
          minFlux: 120.5,
          maxMag: 20.5,
          minRealBogus: 0.6,
          minDetections: 2,
        },
      },
    ])
    // The table cuts cells at 40 characters (list --json has the whole filter).
    const plain = await runCli(['subscription', 'list'], env)
    expect(plain.stdout).toContain('types new_source,fading; a detection in…')
  })

  it('refuses a watchlist that does not exist and values that are not numbers, adding nothing', async () => {
    const flags = ['--channel', 'kafka-topic', '--target', 'alerts-ann', '--subscriber', 'ann']
    const unknown = await runCli(['subscription', 'add', 'w', ...flags, '--watchlist', 'nope'], env)
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toContain('--watchlist nope: no such watchlist')
    for (const [flag, value] of [
      ['--min-snr', 'abc'],
      ['--min-flux', '-3'],
      ['--min-real-bogus', '1.5'],
      ['--min-detections', '2.5'],
      ['--max-mag', 'bright'],
      ['--event-type', 'new-source'],
    ]) {
      const refused = await runCli(['subscription', 'add', 'x', ...flags, flag!, value!], env)
      expect(refused.code, `${flag} ${value}`).toBe(2)
      expect(refused.stderr).toContain(`'${flag}`)
    }
    const listed = await runCli(['subscription', 'list', '--json'], env)
    expect(JSON.parse(listed.stdout)).toEqual([])
  })
})
