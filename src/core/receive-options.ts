/**
 * How the receive stage groups incoming images into windows: up to `batchSize` images or `batchBytes` bytes,
 * whichever comes first, waiting at most `lingerMs` after the first for more. A window costs a few catalog
 * round trips and one publish whatever its size, and its objects are put `putConcurrency` at a time.
 */
export interface ReceiveOptions {
  batchSize: number
  batchBytes: number
  lingerMs: number
  putConcurrency: number
}

/**
 * 64 images amortise the round trips well; 5 ms of linger adds nothing noticeable to a telescope's cadence while
 * letting a fast source fill a window; 16 puts in flight is where S3-like stores stop getting faster on a small
 * machine (see the Performance section of the README); 64 MiB caps the bytes a window holds.
 */
export const DEFAULT_RECEIVE_OPTIONS: ReceiveOptions = {
  batchSize: 64,
  batchBytes: 64 * 1024 * 1024,
  lingerMs: 5,
  putConcurrency: 16,
}
