--[[ state.lua: what Redis holds for one experiment, read at one instant, for the reconcile check.
  KEYS[1] string  experiment status           exp:{id}:status
  KEYS[2] hash    userId -> variant           exp:{id}:assignments
  KEYS[3] hash    variantId -> participants   exp:{id}:counts
  KEYS[4] string  rebuild lock                exp:{id}:rebuild
  Returns {status ('' when absent), users in the sticky map, sum of the counts, 1 while a rebuild
  holds the lock else 0}. ]]
local counted = 0
for _, n in ipairs(redis.call('HVALS', KEYS[3])) do
  counted = counted + tonumber(n)
end
return {redis.call('GET', KEYS[1]) or '', redis.call('HLEN', KEYS[2]), counted, redis.call('EXISTS', KEYS[4])}
