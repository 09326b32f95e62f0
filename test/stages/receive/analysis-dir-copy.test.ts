import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryObjectStore } from '../../../src/adapters/memory/memory-object-store.js'
import { renderTeddyBear } from '../../../src/analysis/teddy-bear.js'
import { StoreUnavailableError } from '../../../src/core/errors.js'
import { ReceiveStage } from '../../../src/stages/receive/receive-stage.js'
import { memoryContext, type TestContext } from '../../support/memory-context.js'

let context: TestContext
let teddy: Buffer
let dir: string
beforeEach(async () => {
  context = await memoryContext()
  teddy ??= await renderTeddyBear(48)
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-analysis-copy-'))
})
afterEach(async () => {
  await context.close()
  await rm(dir, { recursive: true, force: true })
})

describe('the analysis-dir copy', () => {
  it("goes through the store the context opens at IMGPIPE_ANALYSIS_DIR, under the original's file names", async () => {
    const opened: string[] = []
    const stage = new ReceiveStage({
      ...context,
      analysis: { ...context.analysis, analysisDir: dir },
      openAnalysisDir: (root) => {
        opened.push(root)
        return context.openAnalysisDir!(root)
      },
    })
    await stage.receive({ stream: 'default', imageNum: 12, filename: 'a.jpg', bytes: teddy, byteSize: teddy.length })
    expect(opened).toEqual([dir])
    expect(await readdir(dir)).toEqual(['image_00012.jpg'])
    expect(Buffer.compare(await readFile(path.join(dir, 'image_00012.jpg')), teddy)).toBe(0)
  })

  it('a copy that cannot be written stops the window with the file named, and leaves the row storing for a re-run', async () => {
    const broken = new MemoryObjectStore()
    broken.put = () => Promise.reject(new StoreUnavailableError('disk full', { canRetry: false }))
    const stage = new ReceiveStage({ ...context, analysis: { ...context.analysis, analysisDir: dir }, openAnalysisDir: () => broken })
    const incoming = { stream: 'default', imageNum: 1, filename: 'a.jpg', bytes: teddy, byteSize: teddy.length }
    await expect(stage.receive(incoming)).rejects.toMatchObject({
      code: 'IMGPIPE_INTERNAL',
      message: expect.stringContaining(`cannot write ${path.join(dir, 'image_00001.jpg')} (IMGPIPE_ANALYSIS_DIR)`),
    })
    expect((await context.catalog.listImagesByStatus('storing', { limit: 10, afterId: 0 })).map((image) => image.imageNum)).toEqual([1])
    // The same source again, with a working directory: the row is finished, the copy written.
    const again = await new ReceiveStage({ ...context, analysis: { ...context.analysis, analysisDir: dir } }).receive(incoming)
    expect(again).toMatchObject({ kind: 'received', image: { imageNum: 1, status: 'received' } })
    expect(await readdir(dir)).toEqual(['image_00001.jpg'])
  })

  it('without an opener in the context, a stage given IMGPIPE_ANALYSIS_DIR refuses to start rather than skip the copy', () => {
    expect(() => new ReceiveStage({ ...context, analysis: { ...context.analysis, analysisDir: dir }, openAnalysisDir: undefined })).toThrow(
      /IMGPIPE_ANALYSIS_DIR/,
    )
  })
})
