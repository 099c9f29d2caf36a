export { createDb } from './connect.js'
export { migrateToLatest } from './migrate.js'
export { assignmentConfigOf } from './assignment-configs.js'
export type * from './types.js'
