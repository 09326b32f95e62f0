import { PassThrough, Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stripAnsi } from '../../support/strip-ansi.js'
import { setColourDepth } from '../../../src/cli/viewer/half-block-renderer.js'
import {
  loadAlertImages,
  loadPicture,
  parsePromptAnswer,
  PROMPT,
  runInteractiveViewer,
  showAlert,
  type ViewerBackends,
} from '../../../src/cli/viewer/terminal-viewer.js'
import { CatalogUnavailableError } from '../../../src/core/errors.js'
import type { Catalog } from '../../../src/core/ports/catalog.js'
import { memoryContext, runMockPipeline, type TestContext } from '../../support/memory-context.js'

let context: TestContext
let backends: ViewerBackends

beforeAll(async () => {
  context = await memoryContext()
  // The real pipeline on the embedded adapters: 10 teddy bears, events and alerts for images 3 and 7.
  await runMockPipeline(context, { streams: ['mock'], count: 10 })
  backends = { catalog: context.catalog, store: context.store, limits: context.analysis }
})
afterAll(async () => {
  await context.close()
})

/** A writable that keeps everything written to it. */
function sink(): Writable & { text(): string } {
  let text = ''
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += chunk.toString()
      callback()
    },
  })
  return Object.assign(stream, { text: () => text })
}

describe('showAlert', () => {
  it('renders alert 1: image 3 of the mock stream beside image 2 and its difference image', async () => {
    const text = stripAnsi(await showAlert(backends, 1, { width: 120, json: false }))
    expect(text).toContain('Alert 1: changed on stream mock, image 3 · image event 1 · image_00003.jpg')
    expect(text).toContain('previous image 2 of stream mock')
    expect(text).toContain('image 3 of stream mock')
    expect(text).toContain('difference image')
    expect(text.split('\n').filter((line) => line.includes('▀'))).toHaveLength(19)
  })

  it('never sends the escape sequences of a file or stream name to the terminal', async () => {
    const real = await context.catalog.getAlertView(1)
    if (real === null) throw new Error('alert 1 is missing')
    const evil = '\u001b]0;pwned\u0007\u001b[2J\u009b31mbear\u202e.jpg'
    const view = { ...real, image: { ...real.image, imageFilename: evil, stream: 'mock\u001b[5m' } }
    const catalog = { getAlertView: async () => view } as unknown as Catalog
    setColourDepth('none')
    try {
      const text = await showAlert({ ...backends, catalog }, 1, { width: 120, json: false })
      expect(text).not.toMatch(/[\u001b\u0007\u009b\u202e]/)
      expect(text).toContain('\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{9b}31mbear\\u{202e}.jpg')
    } finally {
      setColourDepth('truecolor')
    }
  })

  it('prints the AlertView as JSON when asked', async () => {
    const view = JSON.parse(await showAlert(backends, 2, { width: 120, json: true }))
    expect(view.alert.imageEventAlertId).toBe(2)
    expect(view.image).toMatchObject({ stream: 'mock', imageNum: 7, imageObjectKey: 'image/mock__image_00007.jpg' })
    expect(view.previousImage.imageNum).toBe(6)
    expect(view.event.differenceImageObjectKey).toBe('difference_image/mock__image_event_00002.jpg')
  })

  it('reports an unknown alert number as not found', async () => {
    await expect(showAlert(backends, 99, { width: 120, json: false })).rejects.toMatchObject({
      code: 'IMGPIPE_NOT_FOUND',
      message: 'no image event for alert 99',
    })
  })
})

describe('loadPicture and loadAlertImages', () => {
  it('decode the three stored images at their size', async () => {
    const view = await context.catalog.getAlertView(1)
    if (view === null) throw new Error('alert 1 is missing')
    const images = await loadAlertImages(context.store, view, context.analysis)
    for (const picture of [images.previous, images.image, images.difference]) {
      expect(picture).toMatchObject({ width: 350, height: 350, channels: 3 })
    }
  })

  it('turn a missing, corrupt or oversized object into the reason shown in its panel', async () => {
    expect(await loadPicture(context.store, 'image/mock/nothing-here.jpg', context.analysis)).toEqual({
      unavailable: 'no object at key "image/mock/nothing-here.jpg"',
    })
    await context.store.put('image/mock/corrupt.jpg', Buffer.from('not a jpeg at all'))
    expect(await loadPicture(context.store, 'image/mock/corrupt.jpg', context.analysis)).toMatchObject({
      unavailable: expect.stringContaining('not an image'),
    })
    const tooSmallLimit = { ...context.analysis, maxImagePixels: 100 }
    expect(await loadPicture(context.store, 'image/mock__image_00001.jpg', tooSmallLimit)).toMatchObject({
      unavailable: expect.stringContaining('over the limit of 100'),
    })
  })
})

describe('parsePromptAnswer', () => {
  it('accepts positive integers, quits on q, quit, exit or nothing, and explains anything else', () => {
    expect(parsePromptAnswer(' 12 ')).toEqual({ kind: 'alert', alertNumber: 12 })
    for (const quit of ['q', 'Q', 'quit', 'exit', '', '   ']) expect(parsePromptAnswer(quit)).toEqual({ kind: 'quit' })
    for (const bad of ['abc', '0', '-1', '1.5', '1e3', '99999999999999999999']) {
      const answer = parsePromptAnswer(bad)
      expect(answer.kind).toBe('invalid')
      if (answer.kind === 'invalid') expect(answer.message).toContain(`not an alert number: ${JSON.stringify(bad)}`)
    }
  })
})

describe('runInteractiveViewer', () => {
  it('prompts, explains bad answers, reports unknown alerts, shows known ones, and quits on q', async () => {
    const input = new PassThrough()
    const output = sink()
    const done = runInteractiveViewer({ backends, view: { width: 120, json: false }, input, output })
    input.write('abc\n99\n2\nq\n')
    await done
    const text = stripAnsi(output.text())
    expect(text.startsWith(PROMPT)).toBe(true)
    expect(text).toContain('not an alert number: "abc" (a positive integer, or q to quit)')
    expect(text).toContain('no image event for alert 99')
    expect(text).toContain('previous image 6 of stream mock')
    expect(text).toContain('image 7 of stream mock')
    // One prompt per answer: abc, 99, 2 and q.
    expect(text.split(PROMPT)).toHaveLength(5)
    expect(text.endsWith(PROMPT)).toBe(true)
  })

  it('shows the alert given on the command line before the first prompt', async () => {
    const input = new PassThrough()
    const output = sink()
    const done = runInteractiveViewer({ backends, view: { width: 90, json: false }, input, output, first: 1 })
    input.end('\n')
    await done
    const text = stripAnsi(output.text())
    expect(text.indexOf('image 3 of stream mock')).toBeGreaterThan(-1)
    expect(text.indexOf('image 3 of stream mock')).toBeLessThan(text.indexOf(PROMPT))
  })

  it('ends at the end of the input, leaving the cursor on a new line', async () => {
    const input = new PassThrough()
    const output = sink()
    const done = runInteractiveViewer({ backends, view: { width: 120, json: true }, input, output })
    input.end('1\n')
    await done
    const text = output.text()
    expect(JSON.parse(text.slice(PROMPT.length, text.lastIndexOf(PROMPT))).alert.imageEventAlertId).toBe(1)
    expect(text.endsWith(`${PROMPT}\n`)).toBe(true)
  })

  it('ends when the stop signal is aborted (SIGTERM) while waiting for an answer', async () => {
    const input = new PassThrough()
    const output = sink()
    const stop = new AbortController()
    const done = runInteractiveViewer({ backends, view: { width: 120, json: false }, input, output, signal: stop.signal })
    stop.abort()
    await done
    expect(output.text()).toBe(`${PROMPT}\n`)
  })

  it('reports a failing catalog in one line and keeps prompting', async () => {
    const failing = {
      getAlertView: async () => {
        throw new CatalogUnavailableError('connection refused')
      },
    } as unknown as Catalog
    const input = new PassThrough()
    const output = sink()
    const done = runInteractiveViewer({ backends: { ...backends, catalog: failing }, view: { width: 120, json: false }, input, output })
    input.end('1\nq\n')
    await done
    expect(output.text()).toBe(`${PROMPT}imgpipe: connection refused [IMGPIPE_CATALOG_UNAVAILABLE]\n${PROMPT}`)
  })
})
