export { Env, EnvError, loadEnv, loadEnvOrExit } from './env.js'
