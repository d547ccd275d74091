-- auto-renewal: a holder of two threads, its work and a renewer that keeps extending the lock.
--
-- Source: seed 003 (python-redis-lock's README, "Troubleshooting"): "turn on the auto_renewal
-- parameter in combination with expire to set a time-out on the lock, but let Lock()
-- automatically keep resetting the expire time while your application code is executing":
--
--     with redis_lock.Lock('my-lock', expire=60, auto_renewal=True):
--         # Do work....
--
-- The library (facts of its source, written here in our own words): acquire is SET lock id NX
-- EX expire, and on failure BLPOP lock-signal expire and once more; once it holds the lock it
-- starts a daemon thread that, every expire * 2/3 seconds (`stop.wait(timeout=interval)`),
-- runs the extend script (GET = own id, TTL >= 0: EXPIRE lock expire; else 1 or 2) and raises
-- NotAcquired *in the renewer thread* when the lock is no longer its own: that thread dies
-- and nobody else hears of it. release() sets the stop event and joins the renewer, then runs
-- the unlock script. The work thread never asks whether the lock is still held.
--
-- `lock-client` is the suite's own lock (lockcore, `live::lock` with `auto_renew(true)`):
-- SET lock tok NX PX ttl, retried after a sleep; a renewer that extends with
-- compare-and-PEXPIRE every ttl * 2/3 and, when that fails, marks the guard lost and stops;
-- `check_fence_before_write` refuses a write once the guard is lost; release stops the
-- renewer and sends the compare-and-delete script. (Its fencing token, INCR lock:res:fence,
-- is left out: no property here reads it.)
--
-- Here expire is 2 s (the renewer wakes after 1333 ms, which the clock's whole ticks round
-- down to 1 s or later), and the work takes 3 s: longer than the lock's expiry.
--
-- Each client, two threads on two connections (the same token):
--   main     1. SET lock:res tok NX EX 2 (PX 2000); on failure BLPOP lock-signal:res 2 (sleep
--               1 s) and SET once more, else give up      -> acquired (2 s), enter
--            2. c:spawn("renewer", …)                       (the renewer starts)
--            3. work: sleep 3000 ms
--            4. write: python-redis-lock writes; lock-client writes only if not lost
--            5. stop the renewer (a shared flag), exit; the unlock / compare-and-delete
--               script                                      -> released
--   renewer  1. sleep 1333 ms; if stopped: end
--            2. the extend script: ours -> acquired (2 s more), go to 1;
--               not ours -> `lock-lost` (python-redis-lock: the thread raises and dies;
--               lock-client: the guard is marked lost), end
--
-- The library's join (an extend already under way finishes before the unlock) is not
-- modelled: here the unlock may also come before such an extend, which then finds the lock
-- gone and fails, harmlessly (its owner check). So the model has every schedule of the
-- library's and a few more; each violation below is also one of the library's.
--
-- Properties:
--   `mutual-exclusion` (at most one client in its critical section):
--     none   holds for both: the renewer extends before the lease runs out (the fault model
--            lets no tick pass a live holder's lease), so a slow holder keeps its lock.
--     crash  holds: a crashed holder's threads die with it and its lock expires.
--     pause  VIOLATED for both (4 steps): the paused process's renewer is paused too; A
--            holds, the clock passes its 2 s, the lock expires, B's SET NX succeeds: two
--            holders.
--   `learns-lock-lost` (a holder whose own renewer found the lock gone does not write
--   after that):
--     python-redis-lock  VIOLATED under pause (7 steps): A takes the lock; the clock passes
--            its 2 s before A's renewer runs (the process is paused), the lock expires; the
--            renewer wakes and its extend returns 1 (NotAcquired: the thread dies); then A's
--            work ends and it writes: the process knew, the writer did not.
--     lock-client        holds: the renewer marks the guard lost and the write checks it.
--
-- Run: cargo run --release -- check auto-renewal
scenario { name = "auto-renewal",
           summary = "a holder's work thread and its renewer thread (seed 003's auto_renewal)",
           clients = 2,
           faults = { "none", "crash", "pause" },
           subject = "lock:res",
           params = { retries = 1 },
           ticks = 4,
           properties = { "mutual-exclusion", "learns-lock-lost" } }

local LOCK, SIGNAL = "lock:res", "lock-signal:res"
local EXPIRE = 2             -- s
local INTERVAL = 1333        -- ms: expire * 2/3
local WORK = 3000            -- ms: longer than the expiry

-- python-redis-lock's extend script (KEYS: lock, signal; ARGV: id, expire).
local EXTEND = [[
if redis.call("get", KEYS[1]) ~= ARGV[1] then
    return 1
elseif redis.call("ttl", KEYS[1]) < 0 then
    return 2
else
    redis.call("expire", KEYS[1], ARGV[2])
    return 0
end
]]

-- python-redis-lock's unlock script, as the catalogue's python-redis-lock rows run it.
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

-- live::lock's compare-and-PEXPIRE and compare-and-delete (model::recipes::lock's
-- CLIENT_EXTEND and CLIENT_RELEASE, verbatim).
local CLIENT_EXTEND = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
local CLIENT_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

-- The library's acquire(blocking=True): SET NX EX; on failure wait for a wake-up (or the
-- BLPOP timeout, expire) and try again; a second failure after a timeout gives up.
local function acquire_python(c)
  local timed_out = false
  for _ = 0, c.params.retries do
    if c:call("SET", LOCK, c.token, "NX", "EX", EXPIRE) then
      c:acquired(EXPIRE)
      return true
    end
    if timed_out then return false end
    timed_out = c:call("BLPOP", SIGNAL, EXPIRE) == nil
  end
  return false
end

local function acquire_client(c)
  for attempt = 0, c.params.retries do
    if c:call("SET", LOCK, c.token, "NX", "PX", EXPIRE * 1000) then
      c:acquired(EXPIRE)
      return true
    end
    if attempt < c.params.retries then c:sleep(1000) end
  end
  return false
end

variant("python-redis-lock", function(c)
  if not acquire_python(c) then c:gave_up() return end
  c:enter()
  local stopped = false
  c:spawn("renewer", function(r)
    while true do
      r:sleep(INTERVAL)                 -- stop.wait(timeout=interval)
      if stopped then return end
      if r:call("EVAL", EXTEND, 2, LOCK, SIGNAL, r.token, EXPIRE) ~= 0 then
        r:event("lock-lost")            -- NotAcquired, raised in this thread only
        return
      end
      r:acquired(EXPIRE)
    end
  end)
  c:sleep(WORK)                         -- "# Do work...."
  c:event("write")
  stopped = true                        -- release(): stop the renewer
  c:exit()
  c:call("EVAL", UNLOCK, 2, LOCK, SIGNAL, c.token, 1000)
  c:released()
end, { summary = "seed 003: Lock(expire, auto_renewal=True); the renewer's failure stays in its thread",
       connections = { "conn", "renewer" } })

variant("lock-client", function(c)
  if not acquire_client(c) then c:gave_up() return end
  c:enter()
  local stopped, lost = false, false
  c:spawn("renewer", function(r)
    while true do
      r:sleep(INTERVAL)
      if stopped then return end
      if r:call("EVAL", CLIENT_EXTEND, 1, LOCK, r.token, EXPIRE * 1000) ~= 1 then
        lost = true                     -- the guard is marked lost
        r:event("lock-lost")
        return
      end
      r:acquired(EXPIRE)
    end
  end)
  c:sleep(WORK)
  if lost then                          -- check_fence_before_write
    c:event("write-refused")
  else
    c:event("write")
  end
  stopped = true
  c:exit()
  c:call("EVAL", CLIENT_RELEASE, 1, LOCK, c.token)
  c:released()
end, { summary = "the suite's lock client with auto-renewal: a lost lock refuses the write",
       connections = { "conn", "renewer" } })

property("learns-lock-lost", "always", function(w)
  for _, cl in ipairs(w.clients) do
    local lost = false
    for _, e in ipairs(cl.events) do
      if e.name == "lock-lost" then lost = true end
      if e.name == "write" and lost then
        return false, cl.name .. " writes after its own renewer found the lock gone"
      end
    end
  end
  return true
end)
