import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

// The container build named a fixed mirror (deb.debian.org), so the image built only where that host was reachable.
const run = promisify(execFile)
let apt: string
beforeEach(async () => {
  apt = await mkdtemp(path.join(tmpdir(), 'imgpipe-apt-'))
  await mkdir(path.join(apt, 'sources.list.d'))
})
afterEach(async () => {
  await rm(apt, { recursive: true, force: true })
})

async function mirror(): Promise<string> {
  const { stdout } = await run('scripts/debian-mirror.sh', [apt])
  return stdout.trim()
}

describe('scripts/debian-mirror.sh', () => {
  it("takes the bookworm mirror from the machine's deb822 sources, not the security suite's", async () => {
    await writeFile(
      path.join(apt, 'sources.list.d', 'debian.sources'),
      [
        'Types: deb',
        'URIs: http://security.example.net/debian-security',
        'Suites: bookworm-security',
        'Components: main',
        '',
        'Types: deb',
        '# a snapshot comment',
        'URIs: http://mirror.example.net/debian',
        'Suites: bookworm bookworm-updates',
        'Components: main',
        '',
      ].join('\n'),
    )
    expect(await mirror()).toBe('http://mirror.example.net/debian')
  })

  it('reads a one-line sources.list, options in brackets included', async () => {
    await writeFile(path.join(apt, 'sources.list'), 'deb [arch=amd64] https://ftp.example.org/debian bookworm main contrib\n')
    expect(await mirror()).toBe('https://ftp.example.org/debian')
  })

  it('falls back to deb.debian.org when the machine names no bookworm mirror', async () => {
    await writeFile(path.join(apt, 'sources.list'), 'deb http://archive.example.org/ubuntu noble main\n')
    expect(await mirror()).toBe('http://deb.debian.org/debian')
  })
})

describe('scripts/container-image.sh', () => {
  /** The mirror the container build would bootstrap from, with `apt` as the machine's apt directory. */
  async function buildMirror(env: Record<string, string> = {}): Promise<string> {
    const { stdout } = await run('scripts/container-image.sh', ['--print-mirror'], {
      env: { ...process.env, IMGPIPE_DEBIAN_MIRROR: '', ...env, IMGPIPE_APT_DIR: apt },
    })
    return stdout.trim()
  }

  it("bootstraps the base from the machine's own apt mirror, not a fixed host", async () => {
    await writeFile(
      path.join(apt, 'sources.list.d', 'debian.sources'),
      'Types: deb\nURIs: http://mirror.example.net/debian\nSuites: bookworm bookworm-updates\nComponents: main\n',
    )
    expect(await buildMirror()).toBe('http://mirror.example.net/debian')
  })

  it('takes IMGPIPE_DEBIAN_MIRROR over the apt sources', async () => {
    await writeFile(path.join(apt, 'sources.list'), 'deb http://mirror.example.net/debian bookworm main\n')
    expect(await buildMirror({ IMGPIPE_DEBIAN_MIRROR: 'http://local.example/debian' })).toBe('http://local.example/debian')
  })
})
