-- An in-flight place for an account, with a lease so a killed worker cannot hold it.
-- KEYS[1] the in-flight sorted set; ARGV: token, max in flight, lease s, poll s.
-- Returns 0 when the place is taken, else the seconds to wait before asking again.
local max = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < max then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], math.ceil(lease * 1000) + 60000)
  return '0'
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return string.format('%.6f', math.max(math.min(tonumber(first[2]) - now, ARGV[4]), 0.001))
