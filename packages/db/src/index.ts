export { createDb } from './connect.js'
export { migrateToLatest } from './migrate.js'
export type * from './types.js'
