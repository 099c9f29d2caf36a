/** The assignment service's public entry point: the app built from passed-in dependencies (server.ts listens). */
export { BODY_LIMIT_BYTES, buildApp, type AssignmentDeps } from './app.js'
