-- The next start slot for an account: GCRA with no burst, on Redis TIME.
-- KEYS[1] the account's next-slot key; ARGV[1] the spacing in seconds.
-- Returns the seconds to wait for the slot.  A missing key (first use, or Redis
-- restarted) puts the first slot one full interval away.
local spacing = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local nxt = tonumber(redis.call('GET', KEYS[1]))
local slot
if nxt == nil then
  slot = now + spacing
else
  slot = math.max(now, nxt)
end
local following = slot + spacing
redis.call('SET', KEYS[1], string.format('%.6f', following),
           'PX', math.ceil((following - now) * 1000) + 3600000)
return string.format('%.6f', slot - now)
