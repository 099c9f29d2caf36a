import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Tests run against package sources, so `npm test` needs no build first.
const packagesDir = fileURLToPath(new URL('./packages', import.meta.url))
const alias = Object.fromEntries(readdirSync(packagesDir).map((name) => [`@experiments/${name}`, `${packagesDir}/${name}/src/index.ts`]))
const pure = ['stats', 'targeting', 'bucketing']

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
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
