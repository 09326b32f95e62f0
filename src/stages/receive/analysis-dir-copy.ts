import path from 'node:path'
import { describeError, ImgpipeError } from '../../core/errors.js'
import { DEFAULT_STREAM } from '../../core/object-keys.js'
import type { ObjectStore } from '../../core/ports/object-store.js'
import type { ImageRecord } from '../../core/types.js'
import type { StageContext } from '../stage-context.js'

/**
 * With IMGPIPE_ANALYSIS_DIR, where the original's analysis client finds an image of the default stream:
 * `<dir>/image_NNNNN.<ext>` (it reads the previous image from the same folder by number, so the names stay
 * the original's). The copy goes through a directory object store rooted at that folder, which writes each
 * file whole or not at all (temporary file, rename): the original's client may read it at any moment.
 */
export class AnalysisDirCopy {
  private constructor(
    private readonly dir: string,
    private readonly store: ObjectStore,
  ) {}

  /** The copy the context asks for, or null without IMGPIPE_ANALYSIS_DIR. */
  static of(context: StageContext): AnalysisDirCopy | null {
    const dir = context.analysis.analysisDir
    if (dir === null) return null
    // Stages do not pick adapters: whoever composes them hands over the opener (a directory store).
    if (context.openAnalysisDir === undefined) {
      throw new ImgpipeError('IMGPIPE_INTERNAL', `IMGPIPE_ANALYSIS_DIR is ${dir}, but the stage context opens no store there`, false)
    }
    return new AnalysisDirCopy(dir, context.openAnalysisDir(dir))
  }

  /** The file the original's client reads for the image (its `image_analysis_path`), or null: not its stream. */
  pathOf(image: ImageRecord): string | null {
    const name = this.#nameOf(image)
    return name === null ? null : path.join(this.dir, name)
  }

  /** Writes the image's bytes there when it is one the original's client reads; a failure stops the stage. */
  async write(image: ImageRecord, bytes: Uint8Array): Promise<void> {
    const name = this.#nameOf(image)
    if (name === null) return
    try {
      await this.store.put(name, bytes)
    } catch (error) {
      const file = path.join(this.dir, name)
      throw new ImgpipeError('IMGPIPE_INTERNAL', `cannot write ${file} (IMGPIPE_ANALYSIS_DIR): ${describeError(error)}`, false, {
        cause: error,
      })
    }
  }

  /** The key under the folder: the object key's file name, for default-stream images with a number. */
  #nameOf(image: ImageRecord): string | null {
    if (image.stream !== DEFAULT_STREAM || image.imageNum === null) return null
    return path.posix.basename(image.imageObjectKey)
  }
}
