export { DEFAULT_ANALYTICS_CONCURRENCY, Env, EnvError, loadEnv, loadEnvOrExit, type EnvFor, type Needs } from './env.js'
