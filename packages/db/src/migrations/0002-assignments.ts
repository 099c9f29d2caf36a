import { sql, type Kysely } from 'kysely'

// Assignments drained from the Redis streams, and per-variant participant counts kept with them.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('assignments')
    .addColumn('experiment_id', 'text', (c) => c.notNull().references('experiments.id'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('variant_id', 'text', (c) => c.notNull())
    .addColumn('assigned_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('assignments_pk', ['experiment_id', 'user_id'])
    .execute()

  await db.schema
    .createTable('variant_participants')
    .addColumn('experiment_id', 'text', (c) => c.notNull().references('experiments.id'))
    .addColumn('variant_id', 'text', (c) => c.notNull())
    .addColumn('participants', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('variant_participants_pk', ['experiment_id', 'variant_id'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('variant_participants').execute()
  await db.schema.dropTable('assignments').execute()
}
