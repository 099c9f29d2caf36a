import { sql, type Kysely } from 'kysely'

// Conversion events, the per-variant aggregates kept from them, and result snapshots.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('conversions')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('experiment_id', 'text', (c) => c.notNull().references('experiments.id'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('variant_id', 'text')
    // attributed | not_assigned (no assignment yet; re-attributed when one arrives) | before_assignment (final)
    .addColumn('attribution', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('conversions_pk', ['tenant_id', 'event_id'])
    .execute()
  await sql`create index conversions_waiting_for_assignment on conversions (experiment_id, user_id)
    where attribution = 'not_assigned'`.execute(db)

  await db.schema
    .createTable('converters')
    .addColumn('experiment_id', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('converters_pk', ['experiment_id', 'metric', 'user_id'])
    .execute()

  await db.schema
    .createTable('metric_aggregates')
    .addColumn('experiment_id', 'text', (c) => c.notNull())
    .addColumn('variant_id', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('events', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('converters', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('value_sum', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('value_sum_squares', 'double precision', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('metric_aggregates_pk', ['experiment_id', 'variant_id', 'metric'])
    .execute()

  await db.schema
    .createTable('unattributed_aggregates')
    .addColumn('experiment_id', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('not_assigned', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('before_assignment', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('unattributed_aggregates_pk', ['experiment_id', 'metric'])
    .execute()

  await db.schema
    .createTable('result_snapshots')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('experiment_id', 'text', (c) => c.notNull().references('experiments.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('options', 'jsonb', (c) => c.notNull())
    .addColumn('inputs', 'jsonb', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('engine_version', 'text', (c) => c.notNull())
    .addColumn('result', 'jsonb', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('result_snapshots_newest').on('result_snapshots').columns(['experiment_id', 'created_at desc', 'id desc']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['result_snapshots', 'unattributed_aggregates', 'metric_aggregates', 'converters', 'conversions']) {
    await db.schema.dropTable(table).execute()
  }
}
