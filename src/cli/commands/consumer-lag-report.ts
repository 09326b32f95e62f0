import type { Config } from '../../config/load-config.js'
import type { Bus } from '../../core/ports/bus.js'
import { topicsFor } from '../../stages/stage-context.js'
import { safeText } from '../table-format.js'

/** One row of `imgpipe status`'s consumer lag, in numbers a JSON reader takes (offsets stay far below 2^53). */
export interface LagRow {
  group: string
  topic: string
  partition: number
  /** Null: the group has committed nothing on this partition yet. */
  committedOffset: number | null
  endOffset: number
  lag: number
}

/** The lag of the pipeline's two consumer groups on their topics, from the broker. */
export async function collectConsumerLag(bus: Bus, config: Pick<Config, 'topicPrefix'>): Promise<LagRow[]> {
  const topics = topicsFor(config)
  const rows = await bus.consumerLag([
    { group: topics.imageAnalysisGroup, topic: topics.imageAnalysis },
    { group: topics.imageEventAlertGroup, topic: topics.imageEventAlert },
  ])
  return rows.map((row) => ({
    group: row.group,
    topic: row.topic,
    partition: row.partition,
    committedOffset: row.committedOffset === null ? null : Number(row.committedOffset),
    endOffset: Number(row.endOffset),
    lag: Number(row.lag),
  }))
}

/** Lines for a terminal: a header, then one aligned line per partition. */
export function renderConsumerLag(rows: readonly LagRow[] | null, detail: string | undefined): string[] {
  if (rows === null || rows.length === 0) return [`${'lag'.padEnd(15)}${safeText(detail ?? 'no topics yet')}`]
  const table = [
    ['group', 'topic', 'partition', 'committed', 'end', 'lag'],
    ...rows.map((row) => [
      row.group,
      row.topic,
      String(row.partition),
      row.committedOffset === null ? '-' : String(row.committedOffset),
      String(row.endOffset),
      String(row.lag),
    ]),
  ].map((cells) => cells.map((cell) => safeText(cell)))
  const widths = table[0]!.map((_, column) => Math.max(...table.map((cells) => cells[column]!.length)))
  const total = rows.reduce((sum, row) => sum + row.lag, 0)
  return [
    `${'lag'.padEnd(15)}${total} message${total === 1 ? '' : 's'} not yet consumed`,
    ...table.map(
      (cells) =>
        `  ${cells.map((cell, column) => (column >= 2 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ')}`,
    ),
  ]
}
