/**
 * The analytics worker's public entry point: its parts as main.ts assembles them, for running the
 * worker in another process's place (the system tests run it in theirs).
 */
export { startWorkers, type WorkerOptions } from './workers.js'
export { assignmentStore, type AssignmentStore, type NewAssignment } from './assignments/assignment-store.js'
export { createAssignmentDrain, type AssignmentDrain, type DrainOptions } from './assignments/stream-drain.js'
export { createRebuilder, type Rebuilder } from './assignments/rebuild.js'
