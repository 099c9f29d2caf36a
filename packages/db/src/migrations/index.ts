import type { Migration } from 'kysely'
import * as experiments from './0001-experiments.js'

/** Every migration, in order. Names are never changed once shipped. */
export const migrations: Record<string, Migration> = {
  '0001-experiments': experiments,
}
