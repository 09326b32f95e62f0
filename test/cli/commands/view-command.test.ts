import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_MAX_ROWS, DEFAULT_WIDTH, viewMaxRows, viewWidth } from '../../../src/cli/commands/view-command.js'
import { terminalWidth } from '../../../src/cli/terminal-width.js'
import { stripAnsi } from '../../support/strip-ansi.js'
import { PROMPT } from '../../../src/cli/viewer/terminal-viewer.js'
import { freshDatabaseUrl, testServerConfig, type FreshDatabase } from '../../support/catalog-backends.js'
import { cleanEnv, cliPath, runCli } from '../../support/cli.js'
import { inCi, uniqueName } from '../../support/integration.js'
import { freshStoreUrl, s3TestUrl, type FreshStoreUrl } from '../../support/store-backends.js'
import { parseCells, type Cell } from '../viewer/support/ansi-cells.js'

const TRUE_COLOUR = /\x1b\[(?:[0-9;]*;)?38;2;\d{1,3};\d{1,3};\d{1,3}(?:;[0-9;]*)?m/

/** The half-block rows of a rendering and their cells. */
function pictureRows(text: string): Cell[][] {
  const state = { fg: null, bg: null }
  return text
    .split('\n')
    .map((line) => parseCells(line, state))
    .filter((cells) => cells.some((cell) => cell.char === '▀'))
}

/**
 * The captions under the pictures, one per panel of `width` columns (2 apart), read back from the
 * columns of their panel and joined across the rows they wrap over; also checks each starts in its
 * panel's first column.
 */
function captionsUnder(text: string, width: number): string[] {
  const lines = text.split('\n').map(stripAnsi)
  const rows: string[] = []
  for (const line of lines.slice(lines.findLastIndex((row) => row.includes('▀')) + 1)) {
    if (line.trim() === '' || line.startsWith(PROMPT.trimEnd())) break
    rows.push(line)
  }
  return [0, 1, 2].map((panel) => {
    const start = panel * (width + 2)
    expect(rows[0]?.[start]).toMatch(/\S/)
    return rows
      .map((row) => row.slice(start, start + width).trim())
      .filter((part) => part !== '')
      .join(' ')
  })
}

/** Cells of one panel (0, 1, 2) for panels `width` columns wide, 2 columns apart. */
function panelCells(rows: Cell[][], panel: number, width: number): Cell[][] {
  const start = panel * (width + 2)
  return rows.map((cells) => cells.filter((cell) => cell.column >= start && cell.column < start + width))
}

/** Checks a rendering of alert 1 (image 3 of `default` beside image 2) for panels `width` columns wide. */
function expectAlertOnePicture(text: string, width: number): void {
  const plain = stripAnsi(text)
  // The header wraps between its fields when the width is short.
  for (const field of ['Alert 1: changed on stream default, image 3', 'image event 1', 'image_00003.jpg']) expect(plain).toContain(field)
  expect(plain).toMatch(/\d+\.\d\d?% of pixels changed/)
  expect(plain).toMatch(/detected \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/)
  expect(text).toMatch(TRUE_COLOUR)
  const rows = pictureRows(text)
  // The 350×350 teddy bears fill their panels: width × width pixels, two per row.
  expect(rows).toHaveLength(width / 2)
  for (const cells of rows) expect(cells.filter((cell) => cell.char === '▀')).toHaveLength(3 * width)
  expect(captionsUnder(text, width)).toEqual(['previous image 2 of stream default', 'image 3 of stream default', 'difference image'])
  // Three different pictures: the difference image is not the image, and image 3 (rotated) is not image 2.
  const [previous, image, difference] = [0, 1, 2].map((panel) => panelCells(rows, panel, width).flat())
  const sameCells = (a: Cell[] = [], b: Cell[] = []): number =>
    a.filter((cell, index) => cell.fg === b[index]?.fg && cell.bg === b[index]?.bg).length
  expect(image?.length).toBe((width * width) / 2)
  expect(sameCells(image, difference)).toBeLessThan((image?.length ?? 0) / 2)
  expect(sameCells(previous, image)).toBeLessThan((image?.length ?? 0) / 2)
}

describe('viewWidth and viewMaxRows', () => {
  it('take the flag, else the terminal, else the defaults', () => {
    expect(viewWidth(90, 200)).toBe(90)
    expect(viewWidth(undefined, 200)).toBe(200)
    expect(viewWidth(undefined, undefined)).toBe(DEFAULT_WIDTH)
    expect(viewWidth(undefined, 0)).toBe(DEFAULT_WIDTH)
    expect(() => viewWidth(20, undefined)).toThrow(/--width must be at least 28 columns/)
    expect(viewMaxRows(10, 60)).toBe(10)
    expect(viewMaxRows(undefined, 60)).toBe(52)
    expect(viewMaxRows(undefined, 5)).toBe(4)
    expect(viewMaxRows(undefined, undefined)).toBe(DEFAULT_MAX_ROWS)
  })
})

describe('imgpipe view on SQLite and a directory', () => {
  let dir: string
  let env: Record<string, string>

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-view-'))
    env = cleanEnv({
      IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'imgpipe.db')}`,
      IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'objects')}`,
    })
    const run = await runCli(['run'], env)
    expect(run.stderr).not.toContain('imgpipe:')
    expect(run.code).toBe(0)
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('shows alert 1 once: the three pictures in 24-bit colour half blocks, captions under them', async () => {
    const result = await runCli(['view', '1', '--once', '--width', '120', '--color', 'truecolor'], env)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expectAlertOnePicture(result.stdout, 38)
    for (const line of result.stdout.split('\n')) expect(terminalWidth(line)).toBeLessThanOrEqual(120)
  })

  it('fits a narrower --width, and shows one alert without --once when stdout is not a terminal', async () => {
    const result = await runCli(['view', '1', '--width', '64', '--color', 'truecolor'], env)
    expect(result.code).toBe(0)
    expectAlertOnePicture(result.stdout, 20)
    for (const line of result.stdout.split('\n')) expect(terminalWidth(line)).toBeLessThanOrEqual(64)
    expect(result.stdout).not.toContain(PROMPT)
  })

  it('prints no escape sequence with NO_COLOR or into a pipe: captions and an ASCII picture', async () => {
    for (const extra of [{ NO_COLOR: '1' }, {}] as Record<string, string>[]) {
      const result = await runCli(['view', '1', '--once'], { ...env, ...extra })
      expect(result.code).toBe(0)
      expect(result.stdout).not.toContain('\x1b')
      expect(result.stdout).toContain('Alert 1: changed on stream default, image 3')
      expect(result.stdout).toContain('image_00003.jpg')
      expect(result.stdout).toMatch(/[.:\-=+*#%@]{10}/)
      expect(result.stdout).not.toContain('▀')
    }
  })

  it('draws in the 256-colour palette when asked, never in 24-bit colour', async () => {
    const result = await runCli(['view', '1', '--once', '--color', '256'], env)
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/\x1b\[38;5;\d{1,3}m/)
    expect(result.stdout).not.toMatch(TRUE_COLOUR)
    expect(result.stdout).toContain('▀')
  })

  it('prints the alert view as JSON with --json', async () => {
    const result = await runCli(['view', '2', '--once', '--json'], env)
    expect(result.code).toBe(0)
    const view = JSON.parse(result.stdout)
    expect(Object.keys(view).sort()).toEqual(['alert', 'event', 'image', 'previousImage'])
    expect(view.alert).toMatchObject({ imageEventAlertId: 2, imageEventId: 2, deliveryChannels: 'log' })
    expect(view.event).toMatchObject({
      imageEventId: 2,
      eventType: 'changed',
      differenceImageObjectKey: 'difference_image/image_event_00002.jpg',
    })
    expect(view.image).toMatchObject({
      stream: 'default',
      imageNum: 7,
      imageFilename: 'image_00007.jpg',
      imageObjectKey: 'image/image_00007.jpg',
    })
    expect(view.image.changedFraction).toBeGreaterThan(0.01)
    expect(view.previousImage).toMatchObject({ stream: 'default', imageNum: 6, imageId: view.image.previousImageId })
    expect(Number.isNaN(Date.parse(view.event.detectedAt))).toBe(false)
  })

  it('fails with exit code 1 and one line for an unknown alert', async () => {
    const result = await runCli(['view', '99', '--once'], env)
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toContain('no image event for alert 99')
  })

  it('rejects a bad number, a missing number and a too narrow width with exit code 2', async () => {
    for (const args of [['view', 'abc', '--once'], ['view', '0', '--once'], ['view', '--once'], ['view'], ['view', '1', '--width', '20']]) {
      const result = await runCli(args, env)
      expect({ args, code: result.code }).toEqual({ args, code: 2 })
      expect(result.stdout).toBe('')
    }
    expect((await runCli(['view', 'abc', '--once'], env)).stderr).toContain('positive integer')
    expect((await runCli(['view', '--once'], env)).stderr).toContain('an alert number is required')
  })

  it('fails without creating a database where there is none', async () => {
    const missing = path.join(dir, 'nowhere', 'imgpipe.db')
    const result = await runCli(['view', '1', '--once'], { ...env, IMGPIPE_DATABASE_URL: `sqlite:${missing}` })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`no catalog at sqlite:${missing}`)
    expect(existsSync(path.dirname(missing))).toBe(false)
  })

  it('has --help', async () => {
    const result = await runCli(['view', '--help'], cleanEnv())
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Usage: imgpipe view [options] [number]')
    for (const option of ['--once', '--width <cols>', '--height <rows>', '--json']) expect(result.stdout).toContain(option)
  })
})

const tmuxInstalled = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0
if (!tmuxInstalled && !inCi) console.warn('imgpipe view tmux tests skipped: tmux is not installed (they run, and fail, under CI=true)')

/** Quotes one word for the shell tmux runs the pane's command with. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`
}

describe.skipIf(!tmuxInstalled && !inCi)('imgpipe view in a real terminal (tmux)', () => {
  let dir: string
  let env: Record<string, string>
  let socket: string | undefined

  beforeAll(async () => {
    if (!tmuxInstalled) throw new Error('CI=true but tmux is not installed: the terminal tests of imgpipe view must run in CI')
    dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-view-tmux-'))
    env = cleanEnv({
      IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'imgpipe.db')}`,
      IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'objects')}`,
    })
    expect((await runCli(['run'], env)).code).toBe(0)
  })
  afterEach(async () => {
    if (socket === undefined) return
    const socketPath = spawnSync('tmux', ['-L', socket, 'display-message', '-p', '#{socket_path}'], { encoding: 'utf8' }).stdout.trim()
    spawnSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' })
    // tmux leaves the socket file behind.
    if (socketPath !== '') await rm(socketPath, { force: true })
    socket = undefined
  })
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  function tmux(...args: string[]): string {
    if (socket === undefined) throw new Error('no tmux server started')
    // Without TMUX, so that a developer running the tests inside tmux gets a server of their own.
    const { TMUX: _inside, ...outside } = env
    return execFileSync('tmux', ['-L', socket, ...args], { env: outside, encoding: 'utf8' })
  }

  /** Starts `imgpipe view <args>` in a detached 160×60 pane that stays (dead) after the process exits. */
  function startViewer(args: string[]): void {
    socket = uniqueName('imgpipe-view-')
    const command = [process.execPath, cliPath, 'view', ...args].map(shellQuote).join(' ')
    // COLORTERM is how a terminal (tmux included) says it shows 24-bit colour; without it Node reports 256.
    const pass = ['IMGPIPE_DATABASE_URL', 'IMGPIPE_OBJECT_STORE_URL']
      .flatMap((key) => ['-e', `${key}=${env[key]}`])
      .concat(['-e', 'COLORTERM=truecolor'])
    // remain-on-exit in the same tmux call: the exit status must be kept even if the viewer ended at once.
    tmux(
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-x',
      '160',
      '-y',
      '60',
      '-s',
      'view',
      ...pass,
      command,
      ';',
      'set-option',
      '-t',
      'view',
      'remain-on-exit',
      'on',
    )
  }

  function capture(): string {
    return tmux('capture-pane', '-p', '-e', '-t', 'view')
  }

  /** Polls the pane until `done` holds; fails with the screen after a generous deadline (no timing asserted). */
  async function waitForScreen(what: string, done: (screen: string) => boolean): Promise<string> {
    const deadline = Date.now() + 45_000
    for (;;) {
      const screen = capture()
      if (done(screen)) return screen
      if (Date.now() > deadline) throw new Error(`the pane never showed ${what}:\n${stripAnsi(screen)}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  // capture-pane drops trailing spaces, so a prompt still waiting for its answer ends with the colon.
  const SHOWN_PROMPT = PROMPT.trimEnd()

  function occurrences(text: string, part: string): number {
    return stripAnsi(text).split(part).length - 1
  }

  async function waitForExit(): Promise<number> {
    await waitForScreen('the viewer exiting', () => tmux('display-message', '-p', '-t', 'view', '#{pane_dead}').trim() === '1')
    return Number(tmux('display-message', '-p', '-t', 'view', '#{pane_dead_status}').trim())
  }

  it('prompts, shows alert 1 after "1", prompts again, and exits with 0 on "q"', async () => {
    startViewer([])
    await waitForScreen('the prompt', (screen) => stripAnsi(screen).startsWith(SHOWN_PROMPT))
    tmux('send-keys', '-t', 'view', '1', 'Enter')
    const screen = await waitForScreen('alert 1 and a second prompt', (text) => occurrences(text, SHOWN_PROMPT) === 2)
    expect(stripAnsi(screen).startsWith(`${PROMPT}1\n`)).toBe(true)
    // 160 columns: three panels of 52 columns; the pane's 60 rows leave room for 26 rows of picture.
    expectAlertOnePicture(screen.slice(screen.indexOf('\n') + 1), 52)
    tmux('send-keys', '-t', 'view', 'q', 'Enter')
    expect(await waitForExit()).toBe(0)
  })

  it('answers a bad number and an unknown alert, shows the alert given as argument first, and quits on Ctrl-C', async () => {
    startViewer(['2'])
    await waitForScreen('alert 2 and the prompt', (screen) => stripAnsi(screen).includes(`difference image\n${SHOWN_PROMPT}`))
    const first = stripAnsi(capture())
    expect(first).toContain('Alert 2: changed on stream default, image 7 · image event 2')
    expect(first).toContain('previous image 6 of stream default')
    tmux('send-keys', '-t', 'view', 'abc', 'Enter')
    await waitForScreen('the invalid-input message', (screen) => occurrences(screen, SHOWN_PROMPT) === 2)
    tmux('send-keys', '-t', 'view', '99', 'Enter')
    const screen = stripAnsi(await waitForScreen('the not-found message', (text) => occurrences(text, SHOWN_PROMPT) === 3))
    expect(screen).toContain(
      `${PROMPT}abc\nnot an alert number: "abc" (a positive integer, or q to quit)\n${PROMPT}99\nno image event for alert 99\n${SHOWN_PROMPT}`,
    )
    tmux('send-keys', '-t', 'view', 'C-c')
    expect(await waitForExit()).toBe(0)
  })

  it('fits each alert to the terminal size at the time it is asked for', async () => {
    startViewer([])
    await waitForScreen('the prompt', (screen) => stripAnsi(screen).startsWith(SHOWN_PROMPT))
    tmux('resize-window', '-t', 'view', '-x', '100', '-y', '60')
    await waitForScreen('the narrower window', () => tmux('display-message', '-p', '-t', 'view', '#{pane_width}').trim() === '100')
    tmux('send-keys', '-t', 'view', '1', 'Enter')
    const screen = await waitForScreen('alert 1 and a second prompt', (text) => occurrences(text, SHOWN_PROMPT) === 2)
    // 100 columns: three panels of 32.
    expectAlertOnePicture(screen.slice(screen.indexOf('\n') + 1), 32)
    tmux('send-keys', '-t', 'view', 'q', 'Enter')
    expect(await waitForExit()).toBe(0)
  })

  it('quits at the end of the input (Ctrl-D)', async () => {
    startViewer([])
    await waitForScreen('the prompt', (screen) => stripAnsi(screen).startsWith(SHOWN_PROMPT))
    tmux('send-keys', '-t', 'view', 'C-d')
    expect(await waitForExit()).toBe(0)
  })
})

const onServers = testServerConfig('mysql') !== null && s3TestUrl() !== null

describe.skipIf(!onServers)('imgpipe view on MariaDB and S3', () => {
  let database: FreshDatabase | null = null
  let store: FreshStoreUrl | null = null
  let env: Record<string, string>

  beforeAll(async () => {
    database = await freshDatabaseUrl('mysql')
    store = await freshStoreUrl('s3')
    if (database === null || store === null) throw new Error('MariaDB or S3 test server disappeared')
    env = cleanEnv({
      IMGPIPE_DATABASE_URL: database.url,
      IMGPIPE_DATABASE_PASSWORD: database.password,
      IMGPIPE_OBJECT_STORE_URL: store.url,
    })
    const run = await runCli(['run'], env)
    expect(run.stderr).not.toContain('imgpipe:')
    expect(run.code).toBe(0)
  })
  afterAll(async () => {
    await Promise.all([database?.cleanup(), store?.cleanup()])
  })

  it('shows alert 1 from the database and the bucket', async () => {
    const result = await runCli(['view', '1', '--once', '--width', '120', '--color', 'truecolor'], env)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expectAlertOnePicture(result.stdout, 38)
  })

  it('reports an unknown alert and prints JSON there too', async () => {
    const missing = await runCli(['view', '99', '--once'], env)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('no image event for alert 99')
    const json = await runCli(['view', '2', '--once', '--json'], env)
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout).image).toMatchObject({ stream: 'default', imageNum: 7 })
  })
})
