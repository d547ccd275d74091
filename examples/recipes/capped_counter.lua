-- Seed 004, "Atomic increment that respects limits": two clients each add 2 to `hits`
-- (from 0), capped at 3. The naive variant reads, computes min(v + 2, 3) and writes; the
-- other runs the seed's script verbatim. Property: the final value is min(total added, 3).
--   get-min-set: VIOLATED (A GET 0, B GET 0, A SET 2, B SET 2: 4 added, 2 stored)
--   lua:         holds (the script is one atomic step)
-- Run: cargo run --release -- check examples/recipes/capped_counter.lua
scenario { name = "capped-counter", keys = { hits = "0" }, clients = 2,
           properties = { "capped-no-lost-update" } }

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
end)

variant("lua", function(c)
  c:call("EVAL", CAPPED, 1, "hits", 2, 3)
  c:committed(2)
end)

property("capped-no-lost-update", "at-end", function(w)
  local added = 0
  for _, client in ipairs(w.clients) do added = added + client.committed end
  local value = tonumber(w.keys.hits) or 0
  local want = math.min(added, 3)
  return value == want, "hits = " .. value .. ", expected min(" .. added .. ", 3) = " .. want
end)
