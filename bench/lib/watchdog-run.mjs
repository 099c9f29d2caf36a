// The watchdog process of watchdog.ts (plain JavaScript: node runs it without tsx). Arguments: the
// benchmark's pid and its manifest file.
import { readFileSync, rmSync } from 'node:fs'
import pg from 'pg'

const [parent, manifest] = [Number(process.argv[2]), process.argv[3]]
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const alive = (pid) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
const startTime = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

while (alive(parent)) await sleep(200)
const entries = readFileSync(manifest, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line))
if (!entries.some((entry) => entry.done)) {
  console.error(`[bench watchdog] the benchmark (pid ${parent}) ended before its cleanup: cleaning up after it`)
  // Only processes that are still the ones the benchmark started (same pid, same start time).
  const ours = () => entries.filter((e) => e.pid !== undefined && e.started !== undefined && startTime(e.pid) === e.started).map((e) => e.pid)
  for (const pid of ours()) process.kill(pid, 'SIGTERM')
  for (let waited = 0; waited < 5000 && ours().length > 0; waited += 100) await sleep(100)
  for (const pid of ours()) process.kill(pid, 'SIGKILL')
  for (const { database } of entries.filter((e) => e.database)) {
    const client = new pg.Client({ connectionString: database.serverUrl, connectionTimeoutMillis: 5000 })
    try {
      await client.connect()
      await client.query(`drop database if exists ${database.name} with (force)`)
    } catch (error) {
      console.error(`[bench watchdog] could not drop database ${database.name}: ${error.message}`)
    } finally {
      await client.end().catch(() => {})
    }
  }
  for (const { dir } of entries.filter((e) => e.dir)) rmSync(dir, { recursive: true, force: true })
}
rmSync(manifest, { force: true })
