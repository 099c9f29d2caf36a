export { redisKeys, CONFIG_CHANNEL, ASSIGNMENT_STREAM_GROUP } from './redis-keys.js'
export { AssignmentConfig } from './assignment-config.js'
export { QUEUE, QUEUE_PREFIX } from './queues.js'
