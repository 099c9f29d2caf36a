import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Tests run against package sources, so `npm test` needs no build first.
const packagesDir = fileURLToPath(new URL('./packages', import.meta.url))
const alias = Object.fromEntries(readdirSync(packagesDir).map((name) => [`@experiments/${name}`, `${packagesDir}/${name}/src/index.ts`]))
const pure = ['stats', 'targeting', 'bucketing']
// The cross-service tests that run a second time on a Redis Cluster (3 masters, 3 replicas): the
// assignment script, sticky maps and counts, lifecycle announcements, ingestion and its shards, exposures,
// compute-results, the rebuild from PostgreSQL. Those that stop, pause or flush a Redis of their own
// (test/system/redis-*.test.ts and the like) need one server; the cluster's faults have their own
// tests (cluster-failover, replicas), which start private clusters.
const onClusterToo = [
  'apps/assignment/test/**/*.test.ts',
  'apps/gateway/test/routes/**/*.test.ts',
  'apps/analytics/test/complete-ended.test.ts',
  'test/system/assignment-flow.test.ts',
  'test/system/assignment-faults.test.ts',
  'test/system/conversions.test.ts',
  'test/system/conversion-shards.test.ts',
  'test/system/exposures.test.ts',
]
const integration = { testTimeout: 30_000, hookTimeout: 60_000 }

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: 'unit', include: pure.map((p) => `packages/${p}/test/**/*.test.ts`) },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: pure.map((p) => `packages/${p}/test/**`),
          globalSetup: ['./test-support/global-setup.ts'],
          ...integration,
        },
      },
      {
        resolve: { alias },
        test: { name: 'cluster', include: onClusterToo, globalSetup: ['./test-support/global-setup-cluster.ts'], ...integration },
      },
    ],
  },
})
