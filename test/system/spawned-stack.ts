/**
 * The services as separate processes from their built entry points (npm run build first), each
 * replica on a port of its own, on the tests' database and a Redis (or Redis Cluster) of the
 * caller's choosing: what the scale-out scenarios drive over real HTTP.
 */
import type { ChildProcess } from 'node:child_process'
import { freePort } from '@experiments/devstack'
import { eventually } from '../../test-support/eventually.js'
import { bearer } from '../../test-support/tokens.js'
import { exited, spawnService } from './system.js'

export type SpawnedService = { child: ChildProcess; url: string }

const ENTRIES = {
  gateway: { entry: 'apps/gateway/dist/server.js', portVariable: 'GATEWAY_PORT' },
  assignment: { entry: 'apps/assignment/dist/server.js', portVariable: 'ASSIGNMENT_PORT' },
  analytics: { entry: 'apps/analytics/dist/main.js', portVariable: 'ANALYTICS_PORT' },
} as const

/** Starts one replica of `service` with `env` and resolves once its /ready answers 200. */
export const spawnReady = async (service: keyof typeof ENTRIES, env: Record<string, string>): Promise<SpawnedService> => {
  const { entry, portVariable } = ENTRIES[service]
  const port = await freePort()
  const { child } = await spawnService(entry, { ...env, [portVariable]: String(port) })
  const url = `http://127.0.0.1:${port}`
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`${service} exited with code ${child.exitCode}`)
      return (await fetch(`${url}/ready`).catch(() => undefined))?.status === 200
    },
    30_000,
    `${service} to be ready`,
  )
  return { child, url }
}

/** Stops every service given, SIGTERM first (SIGKILL after 15 s). */
export const stopAll = async (services: SpawnedService[]) => {
  await Promise.all(
    services.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000)
      child.kill('SIGTERM')
      await exited(child)
      clearTimeout(kill)
    }),
  )
}

export type Answer = { status: number; ms: number; body: any }

/** One HTTP call as `tenant` (all scopes), answered or not within `timeoutMs`; never throws for a status. */
export const request = async (url: string, tenant: string, method: 'GET' | 'POST', body?: object, timeoutMs = 10_000): Promise<Answer> => {
  const started = Date.now()
  try {
    const response = await fetch(url, {
      method,
      headers: { ...bearer(tenant), ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await response.text()
    return { status: response.status, ms: Date.now() - started, body: text ? JSON.parse(text) : undefined }
  } catch (error) {
    // No answer at all (a hung request cut by the timeout, a refused connection): status 0.
    return { status: 0, ms: Date.now() - started, body: String(error) }
  }
}

/** Creates and starts a 50/50 experiment through `gatewayUrl`; returns its id and variant ids. */
export const startedExperiment = async (gatewayUrl: string, tenant: string) => {
  const created = await request(`${gatewayUrl}/api/experiments`, tenant, 'POST', {
    name: 'scale-out',
    variants: [
      { name: 'A', splitPercentage: 50 },
      { name: 'B', splitPercentage: 50 },
    ],
  })
  if (created.status !== 201) throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`)
  const id: string = created.body.data.id
  const started = await request(`${gatewayUrl}/api/experiments/${id}/start`, tenant, 'POST')
  if (started.status !== 200) throw new Error(`start failed: ${started.status} ${JSON.stringify(started.body)}`)
  return { id, variants: (created.body.data.variants as { id: string }[]).map((v) => v.id) }
}
