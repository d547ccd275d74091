-- Redlock over three independent masters, as redis.io describes it. A connection named
-- NAME@i is bound to server i: m@0, m@1 and m@2 are three masters that share nothing.
--   cargo run --release -- check examples/recipes/redlock.lua
--   cargo run --release -- check examples/recipes/redlock.lua --faults restart
scenario { name = "my-redlock", clients = 2, params = { retries = 1, lease = 1 },
           faults = { "none", "crash", "pause", "restart" },
           properties = { "mutual-exclusion" }, subject = "lock:res", ticks = 2 }

local masters = { "m@0", "m@1", "m@2" }
local unlock = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

local function unlock_all(c)
  for _, m in ipairs(masters) do c:call_on(m, "EVAL", unlock, 1, "lock:res", c.token) end
end

variant("majority", function(c)
  local ttl = c.params.lease * 1000
  local ok = c:attempts(1 + c.params.retries, function()
    local t0 = c:now()
    local granted = 0
    for _, m in ipairs(masters) do
      if c:call_on(m, "SET", "lock:res", c.token, "NX", "PX", ttl) == "OK" then
        granted = granted + 1
      end
    end
    local validity = ttl - (c:now() - t0) - (math.floor(ttl / 100) + 2)
    if granted >= 2 and validity > 0 then
      c:acquired_until(t0 + validity)
      return true
    end
    unlock_all(c)
  end)
  if not ok then c:gave_up() return end
  c:enter()
  c:exit()
  unlock_all(c)
  c:released()
end, { connections = masters })
