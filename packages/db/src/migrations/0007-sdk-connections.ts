import { sql, type Kysely } from 'kysely'

// SDK connections: the public client keys with which GrowthBook SDKs fetch a tenant's running
// experiments. A revoked row is kept (revoked_at), so that a retried revocation still finds the key
// to remove from Redis and the analytics worker knows not to restore it after a loss of Redis.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sdk_connections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('client_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .addUniqueConstraint('sdk_connections_client_key_unique', ['client_key'])
    .execute()
  await db.schema
    .createIndex('sdk_connections_tenant_newest')
    .on('sdk_connections')
    .columns(['tenant_id', 'created_at desc', 'id desc'])
    .where(sql.ref('revoked_at'), 'is', null)
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sdk_connections').execute()
}
