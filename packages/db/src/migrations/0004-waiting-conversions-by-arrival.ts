import { sql, type Kysely } from 'kysely'

// The re-attribution sweep looks only at recent waiting conversions, so it stays cheap however many
// conversions of never-assigned users pile up; this index finds them by arrival.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index conversions_waiting_by_arrival on conversions (received_at)
    where attribution = 'not_assigned'`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index conversions_waiting_by_arrival`.execute(db)
}
