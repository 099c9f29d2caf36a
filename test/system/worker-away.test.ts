/**
 * The analytics worker killed right after conversions for just-assigned users, and away for longer
 * than the minute the re-attribution sweep used to look back: every event must still end up in its
 * user's variant. A private Redis, so no other test file's worker drains this one's streams.
 */
import { rmSync } from 'node:fs'
import type { DB } from '@experiments/db'
import { freePort, startPrivateRedis, type RunningRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aTenant } from '../../test-support/tokens.js'
import {
  assign,
  connectDb,
  eventually,
  events,
  exited,
  inParallel,
  runningExperiment,
  sendConversions,
  spawnService,
  startGateway,
  startReplica,
  type Replica,
} from './system.js'

const AWAY_MS = 65_000
const tenant = aTenant()
const dir = new URL(`../../.data/test-redis-away-${process.pid}`, import.meta.url).pathname

let db: Kysely<DB>
let server: RunningRedis
let redis: RedisClient
let gateway: Awaited<ReturnType<typeof startGateway>>
let replica: Replica

beforeAll(async () => {
  db = connectDb()
  server = await startPrivateRedis({ dir, port: await freePort(), appendOnly: false })
  redis = await connectRedis(server.url)
  gateway = await startGateway(db, redis)
  replica = await startReplica(server.url)
})
afterAll(async () => {
  await replica.close()
  await gateway.close()
  redis.disconnect()
  await server.stop()
  await db.destroy()
  rmSync(dir, { recursive: true, force: true })
})

const worker = () => spawnService('apps/analytics/dist/main.js', { REDIS_URL: server.url, STREAM_CLAIM_IDLE_MS: '500' })
const attributions = async (experimentId: string) =>
  Object.fromEntries(
    (
      await sql<{ attribution: string; n: number }>`select attribution, count(*)::int as n from conversions
        where tenant_id = ${tenant} and experiment_id = ${experimentId} group by attribution`.execute(db)
    ).rows.map((r) => [r.attribution, r.n]),
  )

describe('the analytics worker away', () => {
  it(
    `attributes every conversion of just-assigned users after the worker was killed and away ${AWAY_MS / 1000} s`,
    async () => {
      const experiment = await runningExperiment(gateway, tenant, [50, 50])
      const first = await worker()
      // One conversion of a user never assigned: the experiment's row of waiting conversions exists.
      const [nobody] = events(experiment.id, ['nobody'])
      expect((await sendConversions(gateway, tenant, [nobody!])).status).toBe(202)
      await eventually(async () => (await attributions(experiment.id)).not_assigned === 1, 10_000, 'the first waiting conversion')
      // The race, forced: with that row locked, a statement storing waiting conversions takes its
      // snapshot, inserts them and then waits for the row, uncommitted, while the drain stores and
      // commits the users' assignments without seeing them. Released, they commit as waiting.
      let release!: () => void
      const released = new Promise<void>((resolve) => (release = resolve))
      let locked!: () => void
      const lockTaken = new Promise<void>((resolve) => (locked = resolve))
      const lock = db.transaction().execute(async (trx) => {
        await sql`select 1 from unattributed_aggregates where experiment_id = ${experiment.id} for update`.execute(trx)
        locked()
        await released
      })
      await lockTaken
      const users = Array.from({ length: 40 }, (_, i) => `away-${i}`)
      const sent: string[] = [nobody!.eventId]
      await inParallel(users, 10, async (user) => {
        await assign(replica, tenant, experiment.id, user)
        const batch = events(experiment.id, [user, user])
        expect((await sendConversions(gateway, tenant, batch)).status).toBe(202)
        sent.push(...batch.map((e) => e.eventId))
      })
      const drained = async () =>
        (await db.selectFrom('assignments').select('user_id').where('experiment_id', '=', experiment.id).execute()).length === users.length
      // Well within the worker's statement timeout, so the waiting statement is not cancelled.
      await eventually(drained, 5000, 'the drain to store every assignment')
      release()
      await lock
      await eventually(async () => Object.values(await attributions(experiment.id)).reduce((a, b) => a + b, 0) === sent.length, 20_000, 'every event stored')
      const stuck = await sql<{ n: number }>`select count(*)::int as n from conversions c
      join assignments a on a.experiment_id = c.experiment_id and a.user_id = c.user_id
      where c.tenant_id = ${tenant} and c.experiment_id = ${experiment.id} and c.attribution = 'not_assigned'`.execute(db)
      // Killed before any sweep could look at them.
      first.child.kill('SIGKILL')
      await exited(first.child)
      expect(stuck.rows[0]!.n, 'conversions the race left waiting').toBeGreaterThan(0)

      await new Promise((r) => setTimeout(r, AWAY_MS))
      const second = await worker()
      try {
        await eventually(
          async () => (await attributions(experiment.id)).attributed === sent.length - 1,
          60_000,
          'every event of an assigned user to be attributed',
        ).catch(async (error) => {
          throw new Error(`${(error as Error).message}: ${JSON.stringify(await attributions(experiment.id))} of ${sent.length}`)
        })
        // Each in the variant of its user's assignment, and counted there once.
        const misplaced = await sql<{ n: number }>`select count(*)::int as n from conversions c
        join assignments a on a.experiment_id = c.experiment_id and a.user_id = c.user_id
        where c.tenant_id = ${tenant} and c.experiment_id = ${experiment.id} and c.variant_id is distinct from a.variant_id`.execute(db)
        expect(misplaced.rows[0]!.n).toBe(0)
        const counted = await sql<{
          events: number
        }>`select coalesce(sum(events), 0)::int as events from metric_aggregates where experiment_id = ${experiment.id}`.execute(db)
        expect(counted.rows[0]!.events).toBe(sent.length - 1)
        // Only the never-assigned user's conversion still waits.
        const waiting = await sql<{
          n: number
        }>`select coalesce(sum(not_assigned), 0)::int as n from unattributed_aggregates where experiment_id = ${experiment.id}`.execute(db)
        expect(waiting.rows[0]!.n).toBe(1)
      } finally {
        second.child.kill('SIGTERM')
        await exited(second.child)
      }
    },
    AWAY_MS + 120_000,
  )
})
