import { watchDone } from './watchdog.js'

/** Teardown steps, run last-registered first, once: on success, on error and on Ctrl-C (and by watchdog.ts should the process die first). */
const steps: { name: string; run: () => Promise<unknown> }[] = []
let running: Promise<void> | undefined

export const onCleanup = (name: string, run: () => Promise<unknown>) => {
  steps.unshift({ name, run })
}

export const cleanupAll = (): Promise<void> =>
  (running ??= (async () => {
    for (const step of steps) {
      try {
        await step.run()
      } catch (error) {
        console.error(`[bench] cleanup "${step.name}" failed: ${(error as Error).message}`)
      }
    }
    watchDone()
  })())

/**
 * Cleans up and exits on SIGINT and SIGTERM. A further signal while the cleanup runs is only noted:
 * a second one comes with a Ctrl-C under tsx, which relays the terminal's signal when the process
 * is slow to report it, and tsx's own handler ends the process once no other listener is left.
 */
export const exitOnSignals = () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (running) {
        console.error(`[bench] ${signal}: already cleaning up`)
        return
      }
      console.error(`\n[bench] ${signal}: cleaning up`)
      void cleanupAll().finally(() => process.exit(130))
    })
  }
}
