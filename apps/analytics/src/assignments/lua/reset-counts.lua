--[[ reset-counts.lua: set an experiment's participant counts after a rebuild from PostgreSQL.
  KEYS[1] hash    variantId -> participants   exp:{id}:counts
  KEYS[2] stream  assignments not yet drained exp:{id}:stream
  ARGV    pairs of variantId, participants stored in PostgreSQL
  Each count becomes PostgreSQL's figure plus the entries still in the stream for that variant
  (entries are deleted once stored, so none is counted twice).
  Returns the number of stream entries added. ]]
local counts = {}
for i = 1, #ARGV, 2 do
  counts[ARGV[i]] = tonumber(ARGV[i + 1])
end
local entries = redis.call('XRANGE', KEYS[2], '-', '+')
for _, entry in ipairs(entries) do
  local fields = entry[2]
  for j = 1, #fields, 2 do
    if fields[j] == 'v' then
      counts[fields[j + 1]] = (counts[fields[j + 1]] or 0) + 1
    end
  end
end
redis.call('DEL', KEYS[1])
for variant, n in pairs(counts) do
  redis.call('HSET', KEYS[1], variant, n)
end
return #entries
