import { readdirSync, readFileSync } from 'node:fs'

const TICKS_PER_SECOND = 100 // USER_HZ: 100 on Linux everywhere that matters

/** CPU seconds (user + system) a process has used so far, from /proc; undefined off Linux or once it exited. */
export const cpuSeconds = (pid: number): number | undefined => {
  if (pid === process.pid) {
    const { user, system } = process.cpuUsage()
    return (user + system) / 1e6
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return undefined
  }
}

/** Processes whose command line matches `pattern` (e.g. the PostgreSQL backends of one database). */
export const pidsMatching = (pattern: RegExp): number[] => {
  try {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          return pattern.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))
        } catch {
          return false
        }
      })
      .map(Number)
  } catch {
    return []
  }
}

type PidSource = () => (number | undefined)[]

const readGroup = (source: PidSource) => new Map(source().flatMap((pid) => (pid === undefined ? [] : [[pid, cpuSeconds(pid)] as const])))

/**
 * CPU used by each named group of processes between start and the returned stop(units), in µs per
 * unit. A process that joins a group meanwhile (a new database connection) counts from its start.
 */
export const startCpuMeter = (groups: Record<string, PidSource>) => {
  const before = Object.fromEntries(Object.entries(groups).map(([name, source]) => [name, readGroup(source)]))
  return (units: number): Record<string, number> => {
    const perUnit: Record<string, number> = {}
    for (const [name, source] of Object.entries(groups)) {
      let used = 0
      for (const [pid, after] of readGroup(source)) {
        const start = before[name]!.has(pid) ? before[name]!.get(pid) : 0
        if (after !== undefined && start !== undefined) used += after - start
      }
      if (units > 0) perUnit[name] = (used / units) * 1e6
    }
    return perUnit
  }
}
