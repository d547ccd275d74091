-- capped-counter: an increment that respects a limit.
--
-- Source: seed 004 (atomic read-modify-write patterns), "Atomic increment that respects
-- limits" (the Lua listing "Increment but cap at maximum"), run verbatim by variant `lua`.
--
-- Two clients each add 2 to `hits` (from 0), capped at 3.
--   get-min-set  1. v = GET hits   2. SET hits min(v + 2, 3)
--   lua          1. EVAL the seed's script (GET, min, SET inside the server: one atomic step)
--
-- Property `capped-no-lost-incr` (at the end): hits = min(total added, 3).
--   get-min-set  VIOLATED: A GET 0, B GET 0, A SET 2, B SET 2: 4 added, 2 stored (3 due).
--   lua          holds: each script call reads the value the other left, so the second
--                one stores min(2 + 2, 3) = 3 whichever runs first.
--
-- Run: cargo run --release -- check capped-counter
scenario { name = "capped-counter", keys = { hits = "0" }, clients = 2,
           summary = "two clients each add 2 to hits (from 0), capped at 3",
           properties = { "capped-no-lost-incr" } }

-- Seed 004, verbatim.
local CAPPED = [[
local current = tonumber(redis.call('GET', KEYS[1])) or 0
local increment = tonumber(ARGV[1])
local max_val = tonumber(ARGV[2])
local new_val = math.min(current + increment, max_val)
redis.call('SET', KEYS[1], new_val)
return new_val
]]

variant("get-min-set", function(c)
  local v = tonumber(c:call("GET", "hits")) or 0
  c:call("SET", "hits", math.min(v + 2, 3))
  c:committed(2)
end, { summary = "GET, min on the client, SET" })

variant("lua", function(c)
  c:call("EVAL", CAPPED, 1, "hits", 2, 3)
  c:committed(2)
end, { summary = "seed 004's capped-increment script" })

property("capped-no-lost-incr", "at-end", function(w)
  local added = 0
  for _, client in ipairs(w.clients) do added = added + client.committed end
  local value = tonumber(w.keys.hits) or 0
  local want = math.min(added, 3)
  return value == want, "hits = " .. value .. ", expected min(" .. added .. ", 3) = " .. want
end)
