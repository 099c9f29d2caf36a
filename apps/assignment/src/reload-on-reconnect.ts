import type { RedisClient } from '@experiments/redis'

/**
 * Runs `reload` each time `subscriber` connects again: announcements sent while it was away are
 * lost, so what they would have changed is read again whole.
 */
export const reloadOnReconnect = (subscriber: RedisClient, reload: () => Promise<void>, onError: (err: unknown) => void) => {
  let connectedBefore = subscriber.status === 'ready'
  subscriber.on('ready', () => {
    if (connectedBefore) reload().catch(onError)
    connectedBefore = true
  })
}
