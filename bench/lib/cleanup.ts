/** Teardown steps, run last-registered first, once: on success, on error and on Ctrl-C. */
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
  })())

export const exitOnSignals = () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n[bench] ${signal}: cleaning up`)
      void cleanupAll().finally(() => process.exit(130))
    })
  }
}
