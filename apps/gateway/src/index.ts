/** The gateway's public entry point: the app built from passed-in dependencies (server.ts listens). */
export { BODY_LIMIT_BYTES, buildApp, type GatewayDeps } from './app.js'
