import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where `npm start` keeps its development state (with a trailing slash): the git-ignored .data
 * folder at the repo root, or DEVSTACK_DATA_DIR (tests point it at a folder of their own).
 */
export const DATA_DIR = process.env.DEVSTACK_DATA_DIR
  ? join(resolve(process.env.DEVSTACK_DATA_DIR), '/')
  : fileURLToPath(new URL('../../../.data/', import.meta.url))
const SECRET_FILE = `${DATA_DIR}dev-jwt-secret`

/** The development JWT secret made by an earlier `npm start`, if any. */
export const readDevSecret = (): string | undefined => (existsSync(SECRET_FILE) ? readFileSync(SECRET_FILE, 'utf8').trim() : undefined)

/** The development JWT secret, made on first use and kept so tokens survive restarts. */
export const devSecret = (): string => {
  const existing = readDevSecret()
  if (existing) return existing
  const secret = randomBytes(32).toString('hex')
  mkdirSync(dirname(SECRET_FILE), { recursive: true })
  writeFileSync(SECRET_FILE, `${secret}\n`, { mode: 0o600 })
  return secret
}
