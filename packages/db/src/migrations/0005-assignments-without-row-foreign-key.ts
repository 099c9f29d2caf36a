import { sql, type Kysely } from 'kysely'

// The foreign key on assignments checked (and share-locked) the experiment once per drained row:
// about half of PostgreSQL's time per assignment. Experiments are never deleted (DELETE archives),
// only published experiments are assigned, and the drain's statement also upserts
// variant_participants, whose foreign key still fails a batch holding an unknown experiment.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table assignments drop constraint assignments_experiment_id_fkey`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table assignments add constraint assignments_experiment_id_fkey foreign key (experiment_id) references experiments (id)`.execute(db)
}
