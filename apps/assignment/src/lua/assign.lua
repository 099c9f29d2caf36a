--[[ assign.lua: the one Redis call of an assignment.
  KEYS[1] string  experiment status          exp:{id}:status
  KEYS[2] hash    userId -> variant          exp:{id}:assignments
  KEYS[3] hash    variantId -> participants   exp:{id}:counts
  KEYS[4] stream  new assignments to drain    exp:{id}:stream
  ARGV[1] userId   ARGV[2] the chosen variant's position (0-based, the sticky map's value)
  ARGV[3] its variantId   ARGV[4] time in ms
  Returns {code, value}:
    {1, stored}    the user already had a variant (sticky; wins over the hash): its position
    {0, position}  the user was enrolled now: stored, counted and appended to the stream
    {2, status}    not enrolled: the status key does not say running ('' when absent)
  All keys share the experiment's hash tag, so this runs on Redis Cluster. Recording, counting and
  appending happen in one script, so a stop (which sets the status key) is exact. ]]
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then
  return {1, existing}
end
local status = redis.call('GET', KEYS[1])
if status ~= 'running' then
  return {2, status or ''}
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
redis.call('XADD', KEYS[4], '*', 'u', ARGV[1], 'v', ARGV[3], 't', ARGV[4])
return {0, ARGV[2]}
