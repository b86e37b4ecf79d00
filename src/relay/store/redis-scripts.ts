// The Lua scripts of the Redis store. Each runs atomically in Redis, so a write, its version and its
// announcement cannot be separated, and a fleet's relays taking from one account's budget cannot both see
// the same tokens. Times come from Redis (TIME), so the relays' clocks need not agree.
import { createHash } from 'node:crypto';

export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
  readonly keys: number;
}

function script(name: string, keys: number, lua: string): LuaScript {
  return { name, lua, keys, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * One write of the shared state, then (when it changed something) the version increment and the change message.
 *   KEYS[1] the hash or set written, KEYS[2] the version counter, KEYS[3] an index set
 *   ARGV[1] op: hset (field value ...), hsetnx (field value), hdel (field ...), sadd (member ...)
 *   ARGV[2] the channel, ARGV[3] the change (JSON), ARGV[4] a member to add to KEYS[3] ('' = none), ARGV[5..] operands
 * Returns {1, the new version} when written, {0} when nothing changed (hsetnx: {0, the value already there, the
 * current version}, so the caller can tell whether its cache has heard of that value and of later changes already).
 */
export const WRITE_SCRIPT = script(
  'write',
  3,
  `local op = ARGV[1]
local n
if op == 'hset' then
  redis.call('HSET', KEYS[1], unpack(ARGV, 5))
  n = 1
elseif op == 'hsetnx' then
  n = redis.call('HSETNX', KEYS[1], ARGV[5], ARGV[6])
  if n == 0 then return {0, redis.call('HGET', KEYS[1], ARGV[5]), tonumber(redis.call('GET', KEYS[2]) or '0')} end
elseif op == 'hdel' then
  n = redis.call('HDEL', KEYS[1], unpack(ARGV, 5))
elseif op == 'sadd' then
  n = redis.call('SADD', KEYS[1], unpack(ARGV, 5))
else
  return redis.error_reply('unknown op ' .. tostring(op))
end
if n == 0 then return {0} end
if ARGV[4] ~= '' then redis.call('SADD', KEYS[3], ARGV[4]) end
local v = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[2], v .. ' ' .. ARGV[3])
return {1, v}
`,
);

/**
 * Reserves a block of an account's sends: a token bucket (capacity one second's worth, never less than one
 * message's recipients; as AccountLimits) and a daily counter that expires at the end of the UTC day.
 *   KEYS[1] the bucket (hash tokens, at), KEYS[2] today's counter
 *   ARGV: perSecond (0 = none), perDay (0 = none), want, need (refuse below this), give back (unused sends of an
 *         earlier block), the UTC day of that give back
 * Grants between need and want, or nothing. Returns {granted, refusal (0 none, 1 rate, 2 quota), day, and the ms
 * until the bucket holds `want` again (rate) or the day ends (quota)}.
 * Times are in ms: Lua prints numbers with 14 digits, enough for ms since the epoch but not for µs.
 */
export const TAKE_SCRIPT = script(
  'take',
  2,
  `local t = redis.call('TIME')
local sec = tonumber(t[1])
local now = sec * 1000 + math.floor(tonumber(t[2]) / 1000)
local day = math.floor(sec / 86400)
local rate, perDay = tonumber(ARGV[1]), tonumber(ARGV[2])
local want, need = tonumber(ARGV[3]), tonumber(ARGV[4])
local back, backDay = tonumber(ARGV[5]), tonumber(ARGV[6])
local granted = want
local tokens, cap
local function saveBucket()
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil(cap / rate * 1000) + 1000)
end
if perDay > 0 and back > 0 and backDay == day then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used > 0 then redis.call('DECRBY', KEYS[2], math.min(back, used)) end
end
if rate > 0 then
  cap = math.max(rate, need)
  local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
  tokens = tonumber(b[1])
  if tokens == nil then tokens = cap else tokens = tokens + math.max(0, now - tonumber(b[2])) / 1000 * rate end
  tokens = math.min(cap, tokens + back)
  if tokens < need then
    saveBucket()
    -- Retry once a whole block has refilled, not one send: under a load over the limit, each request then
    -- takes a block instead of the one token that trickled in (one round trip per send).
    return {0, 1, day, math.ceil((math.min(want, cap) - tokens) / rate * 1000)}
  end
  granted = math.min(granted, math.floor(tokens))
end
if perDay > 0 then
  local left = perDay - tonumber(redis.call('GET', KEYS[2]) or '0')
  if left < need then
    if rate > 0 then saveBucket() end
    return {0, 2, day, (day + 1) * 86400000 - now}
  end
  granted = math.min(granted, left)
  if granted > 0 then
    redis.call('INCRBY', KEYS[2], granted)
    redis.call('PEXPIREAT', KEYS[2], (day + 1) * 86400000)
  end
end
if rate > 0 then
  tokens = tokens - granted
  saveBucket()
end
return {granted, 0, day, 0}
`,
);
