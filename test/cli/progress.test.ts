import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { PipelineProgress } from '../../src/cli/progress.js'

/** Enough of a terminal for cli-progress: it draws by moving the cursor and rewriting the line. */
function fakeTerminal(): NodeJS.WriteStream & { text(): string } {
  let text = ''
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString()
      done()
    },
  }) as unknown as NodeJS.WriteStream & { text(): string }
  Object.assign(stream, {
    isTTY: true,
    columns: 200,
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    clearScreenDown: () => true,
    text: () => text,
  })
  return stream
}

const counts = (analysed: number) => ({
  images: 12,
  imagesReceived: 0,
  imagesAnalyzed: analysed,
  imagesFailed: 0,
  events: 1,
  alerts: 1,
  alertsUndelivered: 0,
})

describe('PipelineProgress', () => {
  it('follows the analysis of the new images when this process analyses', () => {
    const terminal = fakeTerminal()
    const progress = new PipelineProgress(10, 2, terminal)
    progress.received(4)
    progress.update(counts(7))
    progress.stop()
    // 2 were analysed before the run: 5 of the 10 new ones are done.
    expect(terminal.text()).toContain('5/10 done | received 4 | events 1 | alerts 1 | failed 0')
  })

  it('follows received images when another process analyses', () => {
    const terminal = fakeTerminal()
    const progress = new PipelineProgress(10, null, terminal)
    progress.received(3)
    progress.update(counts(0))
    progress.stop()
    expect(terminal.text()).toContain('3/10 done | received 3')
  })

  it('draws nothing without a terminal', () => {
    const progress = new PipelineProgress(10, 0, null)
    progress.received(1)
    progress.update(counts(1))
    progress.stop()
  })
})
