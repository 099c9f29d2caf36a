export * from './common.js'
export * from './envelopes.js'
export * from './experiments.js'
export * from './audiences.js'
