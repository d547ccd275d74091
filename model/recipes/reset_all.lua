-- reset-all: python-redis-lock's reset_all() at start-up breaks the lock of a live holder.
--
-- Source: seed 003 (python-redis-lock's README, "Troubleshooting"): "Another solution is to
-- use the reset_all() function when the application starts: `redis_lock.reset_all()`",
-- against locks that remain in Redis forever. The library's reset_all runs one script that
-- lists every `lock:*` key with KEYS and, for each, deletes its signal list, pushes one
-- wake-up onto it (kept for a second) and deletes the lock: whoever holds it.
--
-- Roles: a holder (A) and a process that starts while A holds the lock (B).
--   holder     1. SET lock:res A NX (the library's default: no expiry)   2. work
--              3. the unlock script (GET = own token: DEL signal, LPUSH signal, PEXPIRE, DEL)
--   resetter   1. EVAL reset_all (KEYS lock:*; per lock: DEL, LPUSH, EXPIRE its signal; DEL)
--              2. SET lock:res B NX; on failure BLPOP lock-signal:res 0 and try once more
--   start-up-check  the resetter as an application that resets only locks whose holder it
--              knows to be dead — here, none: it skips reset_all (the fix is not to call it
--              while another process may hold a lock)
--
-- Property `mutual-exclusion`: at most one client in its critical section.
--   reset-all        VIOLATED with no fault at all: A takes the lock and enters; B starts,
--                    reset_all deletes A's lock; B takes it and enters: two holders.
--   start-up-check   holds.
--
-- Run: cargo run --release -- check reset-all
scenario { name = "reset-all",
           summary = "a holder, and a process that calls python-redis-lock's reset_all() at start-up",
           roles = { holder = 1, resetter = 1 },
           faults = { "none", "crash", "pause" },
           subject = "lock:res",
           properties = { "mutual-exclusion" } }

local LOCK, SIGNAL = "lock:res", "lock-signal:res"

-- The library's unlock script, as the catalogue's python-redis-lock rows run it.
local UNLOCK = [[
if redis.call("get", KEYS[1]) ~= ARGV[1] then
    return 1
else
    redis.call("del", KEYS[2])
    redis.call("lpush", KEYS[2], 1)
    redis.call("pexpire", KEYS[2], ARGV[2])
    redis.call("del", KEYS[1])
    return 0
end
]]

-- reset_all, step by step as the library's script does it.
local RESET_ALL = [[
local locks = redis.call('KEYS', 'lock:*')
for _, lock in ipairs(locks) do
    local signal = 'lock-signal:' .. string.sub(lock, 6)
    redis.call('DEL', signal)
    redis.call('LPUSH', signal, 1)
    redis.call('EXPIRE', signal, 1)
    redis.call('DEL', lock)
end
return #locks
]]

local function holder(c)
  if c:call("SET", LOCK, c.token, "NX") then
    c:acquired()
    c:enter()
    c:exit()
    c:call("EVAL", UNLOCK, 2, LOCK, SIGNAL, c.token, 1000)
    c:released()
  end
end

-- The library's acquire, twice at most: SET NX, or wait for a wake-up and try again.
local function acquire(c)
  for attempt = 0, 1 do
    if c:call("SET", LOCK, c.token, "NX") then
      c:acquired()
      c:enter()
      return
    end
    if attempt == 0 then c:call("BLPOP", SIGNAL, 0) end
  end
  c:gave_up()
end

variant("reset-all", {
  holder = holder,
  resetter = function(c)
    c:call("EVAL", RESET_ALL, 0)
    acquire(c)
  end,
}, { summary = "seed 003: reset_all() on application start, while another process holds the lock" })

variant("start-up-check", {
  holder = holder,
  resetter = acquire,
}, { summary = "no reset_all while another process may hold a lock: the resetter just acquires" })
