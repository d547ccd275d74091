-- pubsub-lock: a lock whose waiters wait on a channel for the holder's release message.
--
-- Source: issue 11 (pub/sub: "a message published while nobody is subscribed is gone — the
-- rule behind lost wake-ups in locks that wait on a channel"). The pattern, as several lock
-- libraries use it: try `SET lock tok NX PX lease`; on failure subscribe to the lock's channel
-- and wait for a message instead of polling, then try again; the holder releases with one
-- script that deletes the lock if it still holds its token and PUBLISHes on the channel. The
-- channel is passed to the script as KEYS[2], as those libraries pass it. Each client uses
-- two connections: `conn` for commands, `sub` for the subscription (a subscribed connection
-- may send nothing but (UN)SUBSCRIBE and PING).
--
-- Two clients, each acquiring once (1 + retries attempts), entering, leaving and releasing.
--   check-then-subscribe     1. SET lock tok NX PX lease: OK → acquired, go to 5
--                            2. SUBSCRIBE channel (on sub)   3. receive (no timeout)
--                            4. UNSUBSCRIBE, try again (1.)
--                            5. enter, exit   6. EVAL release (GET = tok: DEL, PUBLISH)
--   subscribe-first          1. SUBSCRIBE channel   2. SET … NX PX: OK → UNSUBSCRIBE, 5.
--                            3. receive (no timeout), try again (2.)
--   subscribe-first-timeout  as subscribe-first, but 3. waits at most the lease (a waiter
--                            wakes at the latest when the holder's lock would have expired)
--
-- Property `no-lost-wakeup` (at the end): no waiter waits forever (a receive without
-- timeout nobody will serve) while the lock is free.
--   check-then-subscribe     VIOLATED with no fault: A takes the lock; B's SET fails; A
--                            releases, and its PUBLISH reaches nobody (B has not subscribed
--                            yet: the message is gone); B subscribes and waits forever while
--                            the lock is free.
--   subscribe-first          holds under none: a release published between B's failed SET
--                            and its receive waits in B's inbox. VIOLATED under crash and
--                            pause: a lock that expires publishes nothing (A crashes, or
--                            outlives its lease and its release finds another token), so
--                            B waits forever on a free lock.
--   subscribe-first-timeout  holds under none, crash and pause: B wakes at the latest when
--                            its timeout comes, and tries again.
--
-- Run: cargo run --release -- check pubsub-lock
scenario { name = "pubsub-lock",
           summary = "a lock whose waiters SUBSCRIBE to its channel; the holder DELs and PUBLISHes on release",
           clients = 2,
           params = { retries = 1, lease = 2 },
           faults = { "none", "crash", "pause" },
           connections = { "conn", "sub" },
           subject = "lock:res",
           properties = { "no-lost-wakeup" },
           ticks = 2 }

local LOCK, CHANNEL = "lock:res", "lock-channel:res"

-- Release: delete the lock if it is still ours, and tell the waiters.
local RELEASE = [[
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('DEL', KEYS[1])
    redis.call('PUBLISH', KEYS[2], ARGV[1])
    return 1
end
return 0
]]

local function try_lock(c)
  return c:call("SET", LOCK, c.token, "NX", "PX", c.params.lease * 1000) == "OK"
end

local function hold_and_release(c)
  c:enter()
  c:exit()
  c:call("EVAL", RELEASE, 2, LOCK, CHANNEL, c.token)
  c:released()
end

variant("check-then-subscribe", function(c)
  local got = c:attempts(1 + c.params.retries, function()
    if try_lock(c) then
      c:acquired(c.params.lease)
      return true
    end
    c:call_on("sub", "SUBSCRIBE", CHANNEL)
    c:receive_on("sub")
    c:call_on("sub", "UNSUBSCRIBE", CHANNEL)
  end)
  if got then hold_and_release(c) else c:gave_up() end
end, { summary = "SET NX PX fails, then SUBSCRIBE and wait: the release can land in the gap" })

-- Subscribe before the first try; wait `timeout` ms at most (nil: forever).
local function subscribe_first(c, timeout)
  c:call_on("sub", "SUBSCRIBE", CHANNEL)
  local got = c:attempts(1 + c.params.retries, function()
    if try_lock(c) then
      c:acquired(c.params.lease)
      return true
    end
    c:receive_on("sub", timeout)
  end)
  c:call_on("sub", "UNSUBSCRIBE", CHANNEL)
  if got then hold_and_release(c) else c:gave_up() end
end

variant("subscribe-first", function(c)
  subscribe_first(c, nil)
end, { summary = "SUBSCRIBE first, then SET NX PX, and wait on failure: no message is lost" })

variant("subscribe-first-timeout", function(c)
  subscribe_first(c, c.params.lease * 1000)
end, { summary = "as subscribe-first, waiting at most the lease: an expired lock wakes nobody" })
