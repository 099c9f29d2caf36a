import calculateSlot from 'cluster-key-slot'

/** The Redis Cluster slot (0–16383) of `key`, honouring its hash tag: the slot ioredis's Cluster client routes it by. */
export const keySlot = (key: string): number => calculateSlot(key)
