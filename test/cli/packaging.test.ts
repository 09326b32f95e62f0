import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanEnv, repoRoot, runCli } from '../support/cli.js'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-env-'))
  dirs.push(dir)
  return dir
}

describe('packaging', () => {
  it('prints the version from package.json', async () => {
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string; license: string }
    const result = await runCli(['--version'], cleanEnv())
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toBe(pkg.version)
    const license = await readFile(path.join(repoRoot, 'LICENSE'), 'utf8')
    expect(pkg.license).toBe('MIT')
    expect(license).toMatch(/^MIT License\n/)
  })

  it('reads settings from a .env in the working directory, and variables already set win', async () => {
    const dir = await tempDir()
    await writeFile(path.join(dir, '.env'), 'IMGPIPE_DATABASE_URL=sqlite:from-dotenv.db\nIMGPIPE_OBJECT_STORE_URL=file:dotenv-objects\n')
    const fromFile = await runCli(['status', '--json'], cleanEnv(), { cwd: dir })
    expect(fromFile.code, fromFile.stderr).toBe(0)
    const status = JSON.parse(fromFile.stdout) as { database: { location: string }; objectStore: { location: string } }
    expect(JSON.stringify(status)).toContain(path.join(dir, 'from-dotenv.db'))
    expect(JSON.stringify(status)).toContain(path.join(dir, 'dotenv-objects'))

    const shellWins = await runCli(['status', '--json'], cleanEnv({ IMGPIPE_DATABASE_URL: 'sqlite:from-shell.db' }), { cwd: dir })
    expect(shellWins.code, shellWins.stderr).toBe(0)
    expect(shellWins.stdout).toContain(path.join(dir, 'from-shell.db'))
    expect(shellWins.stdout).not.toContain('from-dotenv.db')
    expect(shellWins.stdout).toContain(path.join(dir, 'dotenv-objects'))
  })

  it('runs without a .env, and stops with exit 2 on a bad value from it', async () => {
    const dir = await tempDir()
    expect((await runCli(['status', '--json'], cleanEnv(), { cwd: dir })).code).toBe(0)
    await writeFile(path.join(dir, '.env'), 'IMGPIPE_LOG_LEVEL=chatty\n')
    const bad = await runCli(['status'], cleanEnv(), { cwd: dir })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('IMGPIPE_LOG_LEVEL')
  })
})
