/** The in-process bus and store have no options: their data lives and dies with the process. */
export function describeMemoryBackend(): string {
  return 'memory:'
}
