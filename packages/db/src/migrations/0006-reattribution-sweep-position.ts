import { sql, type Kysely } from 'kysely'

// The re-attribution sweep resumes from where it last finished (every waiting conversion is looked
// at once after its transaction and every transaction that overlapped it have ended), so no outage
// of the worker or of PostgreSQL can outrun it. One row per sweep; '-infinity' makes the first
// sweep look at every conversion that waits today.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sweep_positions')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('swept_until', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`insert into sweep_positions (name, swept_until) values ('reattribute', '-infinity')`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sweep_positions').execute()
}
