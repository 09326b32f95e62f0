import type { Kysely, Migration } from 'kysely'
import { autoIncrementPrimaryKey, tableOptions, timestampDefault, timestampType } from '../sql-dialect.js'
import type { SqlDialectKind } from '../sql-dialect.js'

/**
 * The three tables the original planned for its next version: who wants alerts, what and where, and one
 * receiver row per alert × subscription (the delivery queue). Booleans are integers 0/1 (MySQL has none,
 * and the same literal works everywhere). Removing a subscription removes its receivers (cascade).
 */
export function subscriptionsMigration(kind: SqlDialectKind): Migration {
  const timestamp = timestampType(kind)
  const now = timestampDefault(kind)
  const id = autoIncrementPrimaryKey(kind)
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('image_event_subscriber')
        .addColumn('subscriber_id', 'integer', id)
        .addColumn('name', 'varchar(64)', (column) => column.notNull())
        .addColumn('contact', 'varchar(255)')
        .addColumn('enabled', 'integer', (column) => column.notNull().defaultTo(1))
        .addColumn('created_at', timestamp, (column) => column.notNull().defaultTo(now))
        .addUniqueConstraint('image_event_subscriber_name_key', ['name'])
        .$call(tableOptions(kind))
        .execute()

      await db.schema
        .createTable('image_event_subscription')
        .addColumn('subscription_id', 'integer', id)
        .addColumn('subscriber_id', 'integer', (column) => column.notNull())
        .addColumn('name', 'varchar(64)', (column) => column.notNull())
        .addColumn('channel', 'varchar(16)', (column) => column.notNull())
        .addColumn('target', 'varchar(1024)', (column) => column.notNull())
        .addColumn('secret_ref', 'varchar(255)')
        .addColumn('filter', 'varchar(2048)', (column) => column.notNull().defaultTo('{}'))
        .addColumn('enabled', 'integer', (column) => column.notNull().defaultTo(1))
        .addColumn('created_at', timestamp, (column) => column.notNull().defaultTo(now))
        .addColumn('updated_at', timestamp, (column) => column.notNull().defaultTo(now))
        .addUniqueConstraint('image_event_subscription_name_key', ['name'])
        .addForeignKeyConstraint(
          'image_event_subscription_subscriber_id_fkey',
          ['subscriber_id'],
          'image_event_subscriber',
          ['subscriber_id'],
          (fk) => fk.onDelete('cascade'),
        )
        .$call(tableOptions(kind))
        .execute()

      await db.schema
        .createTable('image_event_alert_receiver')
        .addColumn('receiver_id', 'integer', id)
        .addColumn('image_event_alert_id', 'integer', (column) => column.notNull())
        .addColumn('subscription_id', 'integer', (column) => column.notNull())
        .addColumn('delivery_id', 'varchar(64)', (column) => column.notNull())
        .addColumn('status', 'varchar(16)', (column) => column.notNull().defaultTo('pending'))
        .addColumn('digest', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('next_attempt_at', timestamp, (column) => column.notNull().defaultTo(now))
        .addColumn('claim_token', 'varchar(36)')
        .addColumn('last_error', 'varchar(1024)')
        .addColumn('response_code', 'integer')
        .addColumn('created_at', timestamp, (column) => column.notNull().defaultTo(now))
        .addColumn('delivered_at', timestamp)
        .addUniqueConstraint('image_event_alert_receiver_alert_subscription_key', ['image_event_alert_id', 'subscription_id'])
        .addUniqueConstraint('image_event_alert_receiver_delivery_id_key', ['delivery_id'])
        .addForeignKeyConstraint(
          'image_event_alert_receiver_alert_fkey',
          ['image_event_alert_id'],
          'image_event_alert',
          ['image_event_alert_id'],
          (fk) => fk.onDelete('cascade'),
        )
        .addForeignKeyConstraint(
          'image_event_alert_receiver_subscription_fkey',
          ['subscription_id'],
          'image_event_subscription',
          ['subscription_id'],
          (fk) => fk.onDelete('cascade'),
        )
        .$call(tableOptions(kind))
        .execute()
      // The worker's scan, and the digest's "last message of this subscription" lookup.
      await db.schema
        .createIndex('image_event_alert_receiver_due_idx')
        .on('image_event_alert_receiver')
        .columns(['status', 'next_attempt_at'])
        .execute()
      await db.schema
        .createIndex('image_event_alert_receiver_subscription_idx')
        .on('image_event_alert_receiver')
        .columns(['subscription_id', 'digest', 'created_at'])
        .execute()
      await db.schema.createIndex('image_event_alert_receiver_claim_idx').on('image_event_alert_receiver').column('claim_token').execute()
    },
  }
}
