import { encodeMessage, SCHEMA_VERSION, type ImageAnalysisMessage } from '../../core/messages.js'
import type { ImageRecord } from '../../core/types.js'
import { retrying, type StageContext } from '../stage-context.js'
import type { AnalysisDirCopy } from './analysis-dir-copy.js'

/**
 * Asks for the images' analysis on `image_analysis` in one produce, keyed by stream (so a stream's images are
 * analysed in order). With IMGPIPE_ANALYSIS_DIR a default-stream image's message names its copy there
 * (`image_analysis_path`), as the original's messages did.
 */
export async function publishForAnalysis(
  context: StageContext,
  images: readonly ImageRecord[],
  analysisCopy: AnalysisDirCopy | null,
): Promise<void> {
  const messages = images.map((image) => {
    const message: ImageAnalysisMessage = {
      schema_version: SCHEMA_VERSION,
      image_id: image.imageId,
      image_num: image.imageNum,
      image_filename: image.imageFilename,
      stream: image.stream,
      image_object_key: image.imageObjectKey,
      received_at: image.receivedAt.toISOString(),
    }
    const analysisPath = analysisCopy?.pathOf(image) ?? null
    if (analysisPath !== null) message.image_analysis_path = analysisPath
    return { key: image.stream, value: encodeMessage(message) }
  })
  await retrying(context, 'publish', () => context.bus.publish(context.topics.imageAnalysis, messages))
}
