-- idempotency: a request retried on two clients must have its effect exactly once.
--
-- Source: seed 004 (atomic read-modify-write patterns), "Ensure an operation executes exactly
-- once using SET NX" (the SET NX PX / MSET listing) and the Lua script after it, run verbatim
-- by variant `lua`. The effect (`process_operation()`) is outside Redis: the named event
-- `effect`, stated after a short sleep so that a crash may come before it or after it.
--
-- Two clients handle the same request (a client and its retry), keys `idempotency:{req}` and
-- `idempotency:{req}:result`, both absent at the start.
--   get-then-set  1. s = GET key; if s: done (cached or in progress)   2. SET key processing
--                 3. process (effect)   4. MSET key complete result outcome
--   set-nx-px     1. SET key processing NX PX 86400000; nil: GET result, done
--                 2. process (effect)   3. MSET key complete result outcome
--   lua           1. EVAL the seed's script; the client branches on its reply as the
--                 script's comments say: `{proceed = true}` → process, `{processing = true}`
--                 → in progress elsewhere, done; a string → the cached result, done
--   lua-array     the same script returning {"proceed"} / {"processing"} instead of tables
--                 with string keys (what the script's author meant, in a form Redis keeps)
--
-- Property `effect-once` (at the end): the effect happened exactly once.
--   get-then-set  VIOLATED under none: both GET nil, both process: twice.
--   set-nx-px     holds under none and pause (the day-long PX never runs out within the
--                 bound); VIOLATED under crash: A takes the key and crashes before its
--                 effect; B's SET NX fails, the key says "processing" for a day: never.
--   lua           VIOLATED under none: Redis converts a Lua table with only string keys to
--                 an empty array, so `{proceed = true}` and `{processing = true}` both reach
--                 the client as an empty list and it cannot tell them apart; branching on
--                 `proceed` as the comments say, no client ever processes: never.
--   lua-array     holds under none and pause; VIOLATED under crash as set-nx-px (the
--                 recovery is the PX, a day later).
--
-- Run: cargo run --release -- check idempotency
scenario { name = "idempotency",
           summary = "two clients handle one retried request; its effect must happen once",
           clients = 2, ticks = 1,
           subject = "idempotency:{req}",
           properties = { "effect-once" } }

local KEY, RESULT = "idempotency:{req}", "idempotency:{req}:result"

-- process_operation(): takes a little time (a step of its own), then its effect.
local function process(c)
  c:sleep(100)
  c:event("effect", 1)
end

variant("get-then-set", function(c)
  if c:call("GET", KEY) then
    c:call("GET", RESULT)
    return
  end
  c:call("SET", KEY, "processing")
  process(c)
  c:call("MSET", KEY, "complete", RESULT, "outcome")
end, { summary = "GET the key, SET it if absent: check-then-act" })

variant("set-nx-px", function(c)
  if c:call("SET", KEY, "processing", "NX", "PX", 86400000) == nil then
    c:call("GET", RESULT) -- already processed (or in progress): the cached result
    return
  end
  process(c)
  c:call("MSET", KEY, "complete", RESULT, "outcome")
end, { summary = "seed 004: SET NX PX processing, then MSET complete + result" })

-- Seed 004, verbatim.
local SCRIPT = [[
local key = KEYS[1]
local result_key = KEYS[2]
local ttl = tonumber(ARGV[1])
local status = redis.call('GET', key)
if status then
if status == "complete" then
return redis.call('GET', result_key)
end
return {processing = true} -- Still in progress
end
redis.call('SET', key, 'processing', 'PX', ttl)
return {proceed = true}
]]

variant("lua", function(c)
  local r = c:call("EVAL", SCRIPT, 2, KEY, RESULT, 86400000)
  if type(r) == "table" and r.proceed then
    process(c)
    c:call("MSET", KEY, "complete", RESULT, "outcome")
  end
  -- r.processing: in progress elsewhere; a string: the cached result. Either way, done.
end, { summary = "seed 004's script as printed; the client branches on proceed / processing" })

-- The script with replies Redis can carry: one-element arrays.
local ARRAY_SCRIPT = SCRIPT:gsub("{processing = true}", '{"processing"}')
                           :gsub("{proceed = true}", '{"proceed"}')

variant("lua-array", function(c)
  local r = c:call("EVAL", ARRAY_SCRIPT, 2, KEY, RESULT, 86400000)
  if type(r) == "table" and r[1] == "proceed" then
    process(c)
    c:call("MSET", KEY, "complete", RESULT, "outcome")
  end
end, { summary = "the script returning {\"proceed\"} / {\"processing\"}: replies the client can tell apart" })

property("effect-once", "at-end", function(w)
  local n = 0
  for _, client in ipairs(w.clients) do
    for _, e in ipairs(client.events) do
      if e.name == "effect" then n = n + 1 end
    end
  end
  if n == 1 then return true end
  return false, "the request's effect happened " .. n .. " times"
end)
