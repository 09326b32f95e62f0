import { execFileSync, spawn } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderTeddyBear } from '../../../src/analysis/teddy-bear.js'
import { cleanEnv, cliPath, collect, runCli, type CliResult } from '../../support/cli.js'
import { readRows } from '../../support/sqlite-rows.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-hostile-'))
  // Writable by the unprivileged user the permission tests run as.
  await chmod(dir, 0o777)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function env(name: string): Record<string, string> {
  return cleanEnv({
    IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, `${name}.db`)}`,
    IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, `${name}-objects`)}`,
  })
}

/** Root reads every file whatever its mode: permission tests then run the CLI as `nobody`. */
function runUnprivileged(args: readonly string[], environment: Record<string, string>): Promise<CliResult> {
  const isRoot = process.getuid?.() === 0
  const command = isRoot ? 'setpriv' : process.execPath
  const prefix = isRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] : []
  const child = spawn(command, [...prefix, cliPath, ...args], { env: { ...environment, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] })
  return collect(child, 120_000)
}

describe('imgpipe ingest on hostile input', () => {
  it('reports an unreadable sub-directory and goes on; an unreadable file is recorded once, however often it is ingested', async () => {
    const input = path.join(dir, 'perm')
    await mkdir(path.join(input, 'locked'), { recursive: true })
    await writeFile(path.join(input, 'a-teddy.jpg'), await renderTeddyBear(64))
    await writeFile(path.join(input, 'b-secret.png'), 'not for you')
    await writeFile(path.join(input, 'locked', 'c.jpg'), 'x')
    await chmod(path.join(input, 'b-secret.png'), 0o000)
    await chmod(path.join(input, 'locked'), 0o000)
    await chmod(input, 0o777)
    for (let round = 0; round < 2; round += 1) {
      const result = await runUnprivileged(['ingest', input, '-r', '--stream', 'perm', '--json'], env('perm'))
      expect(result.code, result.stderr).toBe(3)
      const summary = JSON.parse(result.stdout) as { rejected: { file: string }[]; skipped: { path: string; reason: string }[] }
      expect(summary.skipped).toEqual([expect.objectContaining({ path: path.join(input, 'locked'), reason: 'unreadable' })])
      expect(summary.rejected.map((bad) => bad.file)).toEqual(['b-secret.png'])
    }
    const rows = readRows(path.join(dir, 'perm.db'))
    expect(rows.images.map((image) => [image['image_filename'], image['status']])).toEqual([
      ['a-teddy.jpg', 'analyzed'],
      ['b-secret.png', 'failed'],
    ])
  })

  it('exits non-zero when every file duplicates an earlier failed one', async () => {
    const input = path.join(dir, 'dups')
    await mkdir(input)
    // A damaged image: a JPEG signature and nothing after it (text would be skipped, not recorded).
    await writeFile(path.join(input, 'notes.png'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]))
    expect((await runCli(['ingest', input], env('dups'))).code).toBe(3)
    const again = await runCli(['ingest', input], env('dups'))
    expect(again.code).toBe(3)
    expect(again.stderr).toContain('rejected notes.png')
    expect(readRows(path.join(dir, 'dups.db')).images).toHaveLength(1)
  })

  it('never sends the escape sequences of a file name to the terminal', async () => {
    const input = path.join(dir, 'escapes')
    await mkdir(input)
    await writeFile(path.join(input, '\u001b]0;pwned\u0007\u001b[2J\u001b[31mred.png'), 'not an image')
    // Skipped as not an image (the default): named in the skipped line, escaped.
    const skipped = await runCli(['ingest', input], env('escapes'))
    expect(skipped.code).toBe(0)
    expect(skipped.stderr).toContain('\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{1b}[31mred.png (--strict records it as failed)')
    expect(skipped.stderr + skipped.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
    // Recorded as failed (--strict): named in the rejected line, escaped.
    const result = await runCli(['ingest', input, '--strict'], env('escapes'))
    expect(result.code).toBe(3)
    expect(result.stderr).toContain('rejected \\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{1b}[31mred.png')
    expect(result.stderr + result.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
  })

  it('refuses a FIFO or device argument with exit code 2 instead of ingesting nothing silently', async () => {
    const fifo = path.join(dir, 'arg.fifo')
    execFileSync('mkfifo', [fifo])
    for (const argument of [fifo, '/dev/zero']) {
      const result = await runCli(['ingest', argument], env('fifo'))
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(/not a regular file or a directory/)
    }
  })

  it('ingests an image reached through a symlink in a folder', async () => {
    const input = path.join(dir, 'links')
    await mkdir(input)
    const target = path.join(dir, 'outside.jpg')
    await writeFile(target, await renderTeddyBear(64))
    await symlink(target, path.join(input, 'linked.jpg'))
    const result = await runCli(['ingest', input, '--stream', 'links'], env('links'))
    expect(result.code, result.stderr).toBe(0)
    expect(readRows(path.join(dir, 'links.db')).images.map((image) => image['image_filename'])).toEqual(['linked.jpg'])
  })
})
