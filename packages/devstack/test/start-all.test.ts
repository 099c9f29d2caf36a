import { describe, expect, it } from 'vitest'
import { startStack } from './stack.js'

describe('npm start', () => {
  it('starts all three services on embedded defaults, prints a working token, and stops cleanly on SIGTERM', async () => {
    const stack = await startStack('group', { logLevel: 'warn' })
    try {
      for (const port of [stack.ports.gateway, stack.ports.assignment, stack.ports.analytics]) {
        const response = await fetch(`http://127.0.0.1:${port}/ready`)
        expect(response.status).toBe(200)
      }
      const list = await fetch(`http://127.0.0.1:${stack.ports.gateway}/api/experiments`, { headers: { authorization: `Bearer ${stack.token}` } })
      expect(list.status).toBe(200)
      expect(await list.json()).toMatchObject({ meta: { page: 1, limit: 20 } })
      // The printed token also opens the queue dashboard: it has the scope admin.
      const board = await fetch(`http://127.0.0.1:${stack.ports.gateway}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${stack.token}` } })
      expect(board.status).toBe(200)
      expect(stack.output.join('\n')).toContain('embedded PostgreSQL')
      expect(stack.output.join('\n')).toContain('private redis-server')
      stack.launched.kill('SIGTERM')
      expect(await stack.exited).toBe(0)
    } finally {
      await stack.cleanup()
    }
  }, 60_000)
})
