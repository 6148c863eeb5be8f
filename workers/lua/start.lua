-- A request is about to start: record its start, spaced from the last one.
-- KEYS[1] the account's last-start key; ARGV[1] the spacing in seconds.
-- Returns the seconds to wait first: more than 0 only when the previous request left
-- late (after its slot), so that starts never come closer than the spacing.
local spacing = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local last = tonumber(redis.call('GET', KEYS[1]))
local start = now
if last ~= nil and last + spacing > now then
  start = last + spacing
end
redis.call('SET', KEYS[1], string.format('%.6f', start),
           'PX', math.ceil((start - now + spacing) * 1000) + 3600000)
return string.format('%.6f', start - now)
