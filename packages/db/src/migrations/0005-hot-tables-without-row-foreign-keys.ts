import { sql, type Kysely } from 'kysely'

// The foreign keys on assignments and conversions checked (and share-locked) the experiment once
// per inserted row, a lookup as dear as the insert itself on these hot tables. Experiments are never
// deleted (DELETE archives), and the services check each row's experiment before writing it. The
// per-variant tables that the same statements write keep a foreign key, so a statement holding a
// row of an unknown experiment still fails as a whole: variant_participants for the drain, and the
// two aggregate tables (every stored conversion lands in one of them) for conversions.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table assignments drop constraint assignments_experiment_id_fkey`.execute(db)
  await sql`alter table conversions drop constraint conversions_experiment_id_fkey`.execute(db)
  for (const table of ['metric_aggregates', 'unattributed_aggregates']) {
    await sql`alter table ${sql.table(table)} add constraint ${sql.id(`${table}_experiment_id_fkey`)}
      foreign key (experiment_id) references experiments (id)`.execute(db)
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['metric_aggregates', 'unattributed_aggregates']) {
    await sql`alter table ${sql.table(table)} drop constraint ${sql.id(`${table}_experiment_id_fkey`)}`.execute(db)
  }
  await sql`alter table conversions add constraint conversions_experiment_id_fkey foreign key (experiment_id) references experiments (id)`.execute(db)
  await sql`alter table assignments add constraint assignments_experiment_id_fkey foreign key (experiment_id) references experiments (id)`.execute(db)
}
