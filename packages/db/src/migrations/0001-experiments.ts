import { sql, type Kysely } from 'kysely'

// Experiments, their variants and the audiences they target.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audiences')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('conditions', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Soft delete: archived experiments keep pointing at the audience they ran with.
    .addColumn('deleted_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('audiences_tenant_newest').on('audiences').columns(['tenant_id', 'created_at desc', 'id desc']).execute()

  await db.schema
    .createTable('experiments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('audience_id', 'text', (c) => c.references('audiences.id'))
    .addColumn('seed', 'text', (c) => c.notNull())
    .addColumn('start_date', 'timestamptz')
    .addColumn('end_date', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('experiments_status_known', sql`status in ('draft', 'running', 'stopped', 'completed', 'archived')`)
    .execute()
  await db.schema.createIndex('experiments_tenant_status_newest').on('experiments').columns(['tenant_id', 'status', 'created_at desc', 'id desc']).execute()
  await db.schema.createIndex('experiments_tenant_newest').on('experiments').columns(['tenant_id', 'created_at desc', 'id desc']).execute()
  await db.schema.createIndex('experiments_audience').on('experiments').column('audience_id').execute()

  await db.schema
    .createTable('variants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('experiment_id', 'text', (c) => c.notNull().references('experiments.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // Hundredths of a percent, so that "splits sum to exactly 100" is integer arithmetic.
    .addColumn('split_basis_points', 'integer', (c) => c.notNull().check(sql`split_basis_points between 0 and 10000`))
    .addColumn('flow_id', 'text')
    .addColumn('config', 'jsonb', (c) => c.notNull())
    .addUniqueConstraint('variants_position_unique', ['experiment_id', 'position'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('variants').execute()
  await db.schema.dropTable('experiments').execute()
  await db.schema.dropTable('audiences').execute()
}
