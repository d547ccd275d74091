-- The recipe-file contract's own example (README "Check your own recipe"): it must check
-- exactly as written, today and later.
scenario { name = "my-counter", keys = { counter = "0" }, clients = 2,
           params = { retries = 1 }, faults = { "none", "crash" },
           properties = { "no-lost-update", "never-negative" } }  -- built-in or below

variant("watch-retry", function(c)
  for attempt = 0, c.params.retries do
    c:call("WATCH", "counter")
    local v = tonumber(c:call("GET", "counter")) or 0
    c:call("MULTI")
    c:call("SET", "counter", v + 1)
    if c:call("EXEC") ~= nil then c:committed(1) return end
  end
  c:gave_up()
end)

-- a property of the user's own: name, "always" or "at-end", a function of the observation
property("never-negative", "always", function(w)
  return (tonumber(w.keys.counter) or 0) >= 0
end)
