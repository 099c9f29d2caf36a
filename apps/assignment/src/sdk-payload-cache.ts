import { createHash } from 'node:crypto'
import type { ConfigCache } from './config-cache.js'
import { sdkPayloadOf } from './sdk-payload.js'

/** A tenant's payload as sent: its JSON bytes and their strong ETag. */
export type ServedPayload = { body: Buffer; etag: string }

/**
 * Each tenant's SDK payload, serialized once and kept until a config of the tenant changes: a
 * request costs a map lookup, not a JSON.stringify.
 */
export const createSdkPayloadCache = (configs: Pick<ConfigCache, 'allOf' | 'changesOf'>) => {
  const byTenant = new Map<string, ServedPayload & { changes: number }>()
  return {
    of: (tenantId: string): ServedPayload => {
      const changes = configs.changesOf(tenantId)
      const cached = byTenant.get(tenantId)
      if (cached?.changes === changes) return cached
      const body = Buffer.from(JSON.stringify(sdkPayloadOf(configs.allOf(tenantId).map((e) => e.config))))
      const served = { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"`, changes }
      byTenant.set(tenantId, served)
      return served
    },
  }
}
export type SdkPayloadCache = ReturnType<typeof createSdkPayloadCache>
