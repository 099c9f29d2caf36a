export {
  DEFAULT_ANALYTICS_CONCURRENCY,
  DEFAULT_RETRY_DELAY_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  Env,
  EnvError,
  loadEnv,
  loadEnvOrExit,
  type EnvFor,
  type Needs,
} from './env.js'
