import { describe, expect, it } from 'vitest'
import { allGone, portIsFree, processTable, startStack, type Stack } from './stack.js'

const SERVICES = ['gateway', 'assignment', 'analytics'] as const

const expectPortsFree = async (stack: Stack) => {
  for (const [name, port] of Object.entries(stack.ports)) {
    expect(await portIsFree(port), `${name} port ${port} is free`).toBe(true)
  }
}

describe('stopping npm start', () => {
  it('on Ctrl-C (SIGINT to the foreground process group) drains each service once, then stops Redis and PostgreSQL', async () => {
    const stack = await startStack('group')
    try {
      const started = Date.now()
      process.kill(-stack.launched.pid!, 'SIGINT')
      expect(await stack.exited).toBe(0)
      const stopMs = Date.now() - started
      await allGone(stack, 5_000)
      const text = stack.output.join('\n')
      for (const service of SERVICES) {
        const drains = stack.output.filter((line) => line.startsWith(`[${service}] `) && line.includes('"msg":"shutting down"'))
        expect(drains, `${service} drained once`).toHaveLength(1)
        expect(drains[0]).toContain('"signal":"SIGTERM"')
      }
      expect(text).not.toMatch(/second SIG/)
      expect(text).not.toMatch(/Stream isn't writeable/)
      expect(text.match(/\[start\] stopping/g)).toHaveLength(1)
      await expectPortsFree(stack)
      console.info(`stopped in ${stopMs} ms`)
    } finally {
      await stack.cleanup()
    }
  }, 60_000)

  it('when the npm process is killed (SIGKILL), stops everything, the sh -c between npm and start-all included', async () => {
    const stack = await startStack('npm')
    try {
      const shellPid = stack.processes.find((p) => p.pid === stack.startAllPid)!.ppid
      const shell = processTable().find((p) => p.pid === shellPid)!
      expect(shell.args).toMatch(/^sh -c /)
      stack.launched.kill('SIGKILL')
      const goneMs = await allGone(stack, 10_000, [shell])
      for (const service of SERVICES) {
        expect(stack.output.filter((line) => line.startsWith(`[${service}] `) && line.includes('"msg":"shutting down"'))).toHaveLength(1)
      }
      await expectPortsFree(stack)
      console.info(`everything gone ${goneMs} ms after npm was killed`)
    } finally {
      await stack.cleanup()
    }
  }, 60_000)

  it('when the process that started it directly is killed (SIGKILL), stops everything', async () => {
    const stack = await startStack('parent')
    try {
      stack.launched.kill('SIGKILL')
      const goneMs = await allGone(stack, 10_000)
      await expectPortsFree(stack)
      console.info(`everything gone ${goneMs} ms after the parent was killed`)
    } finally {
      await stack.cleanup()
    }
  }, 60_000)
})
