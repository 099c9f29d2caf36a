export { freePort } from './free-port.js'
export { startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres.js'
export { startPrivateRedis, hasRedisServer, REDIS_INSTALL_HINT, type RunningRedis } from './private-redis.js'
export { signToken, parseTtl, ALL_SCOPES, type TokenClaims } from './sign-token.js'
