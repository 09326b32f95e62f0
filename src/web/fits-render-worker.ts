/**
 * The web server's FITS render worker: decodes and previews one FITS object per message (`fits-render.ts`), off
 * the event loop, so a 4096² frame (~0.5 s of CPU) does not stall every other request and live alert stream.
 * Pixels and preview go back as transferred buffers (no copy); a failure goes back as its code and one line.
 */
import { parentPort } from 'node:worker_threads'
import { isImgpipeError } from '../core/errors.js'
import { renderFits, type FitsRenderRequest } from './fits-render.js'

export interface WorkerRequest extends FitsRenderRequest {
  id: number
}

parentPort?.on('message', (request: WorkerRequest) => {
  try {
    const rendering = renderFits(request)
    const transfer = [rendering.data.buffer, rendering.preview.rgb.buffer] as ArrayBuffer[]
    // The pixels may share the request's buffer (float32 read in place): transfer it once.
    const unique = [...new Set(transfer)]
    parentPort?.postMessage({ id: request.id, rendering }, unique)
  } catch (error) {
    parentPort?.postMessage({
      id: request.id,
      error: {
        code: isImgpipeError(error) ? error.code : 'IMGPIPE_INTERNAL',
        message: error instanceof Error ? error.message : String(error),
      },
    })
  }
})
