-- atomic-reads: set a new value and take the old one in one step.
--
-- Source: seed 004 (atomic read-modify-write patterns), "Atomic get-and-modify operations":
-- `SET counter 100 GET` ("atomically set new value, return old").
--
-- counter holds "0"; each of two clients puts "100" in and takes the value it replaced (a
-- hand-over: whoever gets "0" owns it).
--   set-get       1. old = SET counter 100 GET
--   get-then-set  1. old = GET counter  2. SET counter 100
--
-- Property `old-taken-once` (when every client has finished): the initial "0" was handed to
-- exactly one client, or is still in counter — never returned twice, never lost.
--   set-get       holds: the first SET … GET returns "0" and the second returns "100".
--   get-then-set  VIOLATED: A and B both GET "0" before either SETs: "0" returned twice.
--
-- Run: cargo run --release -- check atomic-reads
scenario { name = "atomic-reads",
           summary = "two clients each put 100 in counter and take the value it replaced",
           keys = { counter = "0" }, clients = 2,
           properties = { "old-taken-once" } }

local KEY, INITIAL, NEW = "counter", "0", "100"

-- The client that received the initial value states it: committed(1).
local function took(c, old)
  if old == INITIAL then c:committed(1) end
end

variant("set-get", function(c)
  took(c, c:call("SET", KEY, NEW, "GET"))
end, { summary = "SET counter 100 GET" })

variant("get-then-set", function(c)
  local old = c:call("GET", KEY)
  took(c, old)
  c:call("SET", KEY, NEW)
end, { summary = "GET, then SET" })

property("old-taken-once", "at-end", function(w)
  local taken = 0
  for _, client in ipairs(w.clients) do taken = taken + client.committed end
  local left = (w.keys[KEY] == INITIAL) and 1 or 0
  if taken + left == 1 then return true end
  if taken + left == 0 then return false, '"0" is gone and nobody took it' end
  return false, '"0" was handed out ' .. taken .. " times" .. (left == 1 and " and is still there" or "")
end)
