import { createDb } from '@experiments/db'
import { connectRedis } from '@experiments/redis'
import { testDatabaseUrl, testRedis } from './context.js'

/** A small pool on the test database. */
export const connectDb = () => createDb(testDatabaseUrl(), { max: 5 })

/** A command connection to the test Redis (one server or the cluster). */
export const connect = () => connectRedis(testRedis())
