import { spawn } from 'node:child_process'
import { appendFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * A safety net under the cleanup (cleanup.ts): a detached process that waits for the benchmark to
 * end and, when it ended before its cleanup finished, stops the processes it started, drops its
 * databases and removes its temp dirs. Needed because under tsx a Ctrl-C can end the benchmark
 * with a SIGKILL: tsx relays the terminal's signal and kills the process outright when it has not
 * acknowledged it within 60 ms, which a benchmark saturating the cores does not always manage.
 *
 * What to undo is appended to a manifest file, one JSON object a line, as it is created; the
 * watchdog starts with the first entry.
 */
let manifest: string | undefined

/** A process's start time (clock ticks after boot, /proc/<pid>/stat field 22): the watchdog kills a pid only while it is the same process. */
const startTime = (pid: number): string | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

const record = (entry: object) => {
  if (!manifest) {
    manifest = join(tmpdir(), `bench-watchdog-${process.pid}.jsonl`)
    appendFileSync(manifest, '')
    const script = fileURLToPath(new URL('./watchdog-run.mjs', import.meta.url))
    spawn(process.execPath, [script, String(process.pid), manifest], { detached: true, stdio: ['ignore', 'ignore', 'inherit'] }).unref()
  }
  appendFileSync(manifest, `${JSON.stringify(entry)}\n`)
}

/** A process to stop (SIGTERM, then SIGKILL after 5 s) should the benchmark die before its cleanup. */
export const watchProcess = (pid: number | undefined) => {
  if (pid !== undefined) record({ pid, started: startTime(pid) })
}

/** A database to drop should the benchmark die before its cleanup. */
export const watchDatabase = (serverUrl: string, name: string) => record({ database: { serverUrl, name } })

/** A directory to remove should the benchmark die before its cleanup. */
export const watchDir = (dir: string) => record({ dir })

/** The cleanup has run: nothing left for the watchdog to do. */
export const watchDone = () => {
  if (manifest) appendFileSync(manifest, `${JSON.stringify({ done: true })}\n`)
}
