export { Env, EnvError, loadEnv, loadEnvOrExit, type EnvFor, type Needs } from './env.js'
