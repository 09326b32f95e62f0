import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderTeddyBear } from '../../../src/analysis/teddy-bear.js'
import { cleanEnv, runCli } from '../../support/cli.js'
import { readRows } from '../../support/sqlite-rows.js'
import { WebhookReceiver } from '../../support/webhook-receiver.js'

let dir: string
let receiver: WebhookReceiver
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-remedies-'))
  receiver = await WebhookReceiver.start(null)
})
afterAll(async () => {
  await receiver.close()
  await rm(dir, { recursive: true, force: true })
})

const env = (extra: Record<string, string> = {}) =>
  cleanEnv({
    IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'db.db')}`,
    IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'objects')}`,
    ...extra,
  })

async function folder(name: string, files: Record<string, Buffer>): Promise<string> {
  const where = path.join(dir, name)
  await mkdir(where)
  for (const [file, bytes] of Object.entries(files)) await writeFile(path.join(where, file), bytes)
  return where
}

/** The commands `status` prints, in backticks, in the order printed. */
function suggestedCommands(stdout: string): string[] {
  return [...stdout.matchAll(/`(imgpipe [^`]+)`/g)].map((match) => match[1]!)
}

const args = (command: string): string[] => command.split(' ').slice(1)

interface DeliveryRow {
  status: string
  subscription: string
  subscriber: string
}

describe('imgpipe status remedies', () => {
  it('prints per failure a remedy that works: each suggested command, run as printed, has the promised effect', async () => {
    const teddy = await renderTeddyBear(120)
    const rotated = await sharp(teddy).rotate(90).jpeg().toBuffer()
    // A file that fails when received: the first half of a JPEG (an image by its magic bytes, so it is not skipped).
    const broken = { 'fake.jpg': teddy.subarray(0, Math.floor(teddy.length / 2)) }
    expect((await runCli(['ingest', path.join(await folder('bad', broken), 'fake.jpg'), '--stream', 'files'], env())).code).toBe(3)
    // An analysis failure: the first image's object goes missing before the next one is compared with it.
    expect((await runCli(['ingest', await folder('first', { 'first.jpg': teddy }), '--stream', 'cam'], env())).code).toBe(0)
    const firstObject = path.join(dir, 'objects', 'image', 'cam__image_00001.jpg')
    const saved = await readFile(firstObject)
    await rm(firstObject)
    expect((await runCli(['ingest', await folder('second', { 'second.jpg': rotated }), '--stream', 'cam'], env())).code).toBe(0)
    // A dead delivery: a loopback webhook target while IMGPIPE_DELIVERY_ALLOW_PRIVATE is unset.
    expect((await runCli(['subscriber', 'add', 'ada'], env())).code).toBe(0)
    const target = ['--channel', 'webhook', '--target', receiver.url()]
    const add = ['subscription', 'add', 'ada-hook', '--subscriber', 'ada', ...target]
    expect((await runCli(add, env({ IMGPIPE_DELIVERY_ALLOW_PRIVATE: 'true' }))).code).toBe(0)
    expect((await runCli(['run', '--count', '4', '--stream', 'mock'], env())).code).toBe(4)

    const status = await runCli(['status'], env())
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toContain('files #1 (image 1, fake.jpg) at receive: ')
    expect(status.stdout).toContain('cam #1 (image 2, first.jpg) in analysis:')
    expect(status.stdout).toContain('deliveries     webhook subscription ada-hook (subscriber ada): 1 dead')
    const commands = suggestedCommands(status.stdout)
    expect(commands).toEqual([
      'imgpipe ingest <good copy of the file> --stream files',
      'imgpipe reanalyze --failed',
      'imgpipe deliveries list --status dead',
      'imgpipe deliveries retry --status dead',
      'imgpipe deliver --once',
    ])
    const json = JSON.parse((await runCli(['status', '--json'], env())).stdout) as Record<string, unknown>
    expect(json['failedImages']).toEqual([
      expect.objectContaining({ stage: 'receive', filename: 'fake.jpg' }),
      expect.objectContaining({ stage: 'analysis', filename: 'first.jpg' }),
    ])
    expect(json['failedDeliveries']).toEqual([{ subscription: 'ada-hook', subscriber: 'ada', channel: 'webhook', retrying: 0, dead: 1 }])

    // A good copy of the file, ingested as printed: it is received and analysed in that stream.
    const goodCopy = path.join(await folder('fixed', { 'fake.jpg': teddy }), 'fake.jpg')
    const ingest = await runCli(args(commands[0]!.replace('<good copy of the file>', goodCopy)), env())
    expect(ingest.code, ingest.stderr).toBe(0)
    const files = readRows(path.join(dir, 'db.db')).images.filter((image) => image['stream'] === 'files')
    expect(files.map((image) => [image['image_filename'], image['status']])).toEqual([
      ['fake.jpg', 'failed'],
      ['fake.jpg', 'analyzed'],
    ])

    // Once the object is back, reanalyze --failed takes the analysis failure (and only it) and analyses it.
    await writeFile(firstObject, saved)
    const reanalyze = await runCli(args(commands[1]!), env())
    expect(reanalyze.code, reanalyze.stderr).toBe(0)
    expect(reanalyze.stdout).toContain('reanalyze: 1 image(s) set back to received')
    const cam = readRows(path.join(dir, 'db.db')).images.filter((image) => image['stream'] === 'cam')
    expect(cam.map((image) => image['status'])).toEqual(['analyzed', 'analyzed'])

    // The list shows the dead delivery by name, and why.
    const list = await runCli([...args(commands[2]!), '--json'], env())
    const rows = JSON.parse(list.stdout) as (DeliveryRow & { lastError: string })[]
    expect(rows).toEqual([expect.objectContaining({ status: 'dead', subscription: 'ada-hook', subscriber: 'ada' })])
    expect(rows[0]!.lastError).toContain('IMGPIPE_DELIVERY_ALLOW_PRIVATE')
    const table = await runCli(args(commands[2]!), env())
    expect(table.stdout).toMatch(/ada-hook\s+ada\s+dead/)

    // Once the cause is fixed (private targets allowed), retry makes it due and deliver sends it.
    const fixed = env({ IMGPIPE_DELIVERY_ALLOW_PRIVATE: 'true' })
    const retry = await runCli(args(commands[3]!), fixed)
    expect(retry.code).toBe(0)
    expect(retry.stdout).toContain('1 deliveries due again')
    const deliver = await runCli(args(commands[4]!), fixed)
    expect(deliver.code, deliver.stderr).toBe(0)
    expect(receiver.delivered()).toHaveLength(1)
    const after = JSON.parse((await runCli(['deliveries', 'list', '--json'], env())).stdout) as DeliveryRow[]
    expect(after.map((row) => row.status)).toEqual(['delivered'])

    // What is left: the record of the unreadable file, with its remedy only.
    const final = await runCli(['status'], env())
    expect(final.stdout).not.toContain('deliveries ')
    expect(suggestedCommands(final.stdout)).toEqual(['imgpipe ingest <good copy of the file> --stream files'])
    // reanalyze says why it has nothing to do for it, instead of a bare "0 image(s) set back".
    const nothing = await runCli(['reanalyze', '--failed'], env())
    expect(nothing.stdout).toContain('reanalyze: 0 image(s) set back')
    expect(nothing.stdout).toContain('the 1 failed image(s) failed at receive (not readable images): nothing to analyse again')
  })
})
