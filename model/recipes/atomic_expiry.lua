-- atomic-expiry: read a session and push its expiry to an absolute time, in one step.
--
-- Source: seed 004 (atomic read-modify-write patterns), "Atomic get-and-modify operations":
-- `GETEX session:abc EXAT 1706648400` ("get and update expiration atomically: returns value,
-- sets absolute expiration"), against the two commands it replaces, GET then EXPIREAT.
--
-- session:abc holds "alice" and expires at t=1s. One client refreshes it: it reads the
-- server's clock (TIME) and extends the session to TIME + 2 s, an absolute time; when it has
-- the session's value and believes the extension took, it states `extended` (the model time
-- it believes the session now lives until).
--   getex-exat            1. TIME   2. v = GETEX session:abc EXAT now+2: v → extended
--   get-expireat          1. TIME   2. v = GET session:abc   3. v → EXPIREAT session:abc
--                         now+2, extended (the reply of EXPIREAT unread, as the two
--                         commands are written in place of GETEX)
--   get-expireat-checked  as get-expireat, extended only when EXPIREAT answers 1
--
-- Property `no-ghost-session`: while a client believes the session lives (before the time
-- it extended it to), the session exists.
--   getex-exat            holds: GETEX finds the session and extends it in one step, or
--                         finds nothing (nil) and the client knows.
--   get-expireat          VIOLATED with no fault: GET reads "alice" at t=0; the clock
--                         moves on and the session expires at t=1s; EXPIREAT finds no
--                         key (0) and the client believes the session lives until t=2s.
--   get-expireat-checked  holds against the clock: EXPIREAT's 0 tells the client.
--
-- Absolute times on a live server: the executor moves EXAT/EXPIREAT arguments and TIME
-- replies between the model's epoch and the real clock at the run's start.
--
-- Run: cargo run --release -- check atomic-expiry
scenario { name = "atomic-expiry",
           summary = "a client reads a session that is about to expire and extends it to an absolute time",
           keys = { ["session:abc"] = { string = "alice", px = 1000 } },
           clients = 1,
           faults = { "none", "crash", "pause" },
           subject = "session:abc",
           properties = { "no-ghost-session" },
           ticks = 2 }

local KEY, EXTEND_S = "session:abc", 2

-- The server's clock, and the same instant on the client's clock: the absolute time to
-- extend to (s, the server's clock) and when that is for the client (ms).
local function deadline(c)
  local t = c:call("TIME")
  return tonumber(t[1]) + EXTEND_S, c:now() + EXTEND_S * 1000
end

variant("getex-exat", function(c)
  local at, until_ms = deadline(c)
  if c:call("GETEX", KEY, "EXAT", at) then c:event("extended", until_ms) end
end, { summary = "GETEX session EXAT t: read and extend in one step" })

variant("get-expireat", function(c)
  local at, until_ms = deadline(c)
  if c:call("GET", KEY) then
    c:call("EXPIREAT", KEY, at)
    c:event("extended", until_ms)
  end
end, { summary = "GET, then EXPIREAT, its reply unread" })

variant("get-expireat-checked", function(c)
  local at, until_ms = deadline(c)
  if c:call("GET", KEY) and c:call("EXPIREAT", KEY, at) == 1 then
    c:event("extended", until_ms)
  end
end, { summary = "GET, then EXPIREAT, extended only when EXPIREAT answers 1" })

property("no-ghost-session", "always", function(w)
  for _, client in ipairs(w.clients) do
    for _, e in ipairs(client.events) do
      if e.name == "extended" and w.now < e.value and w.keys[KEY] == nil then
        return false, client.name .. " believes " .. KEY .. " lives until t=" .. (e.value / 1000)
          .. "s, but it is gone at t=" .. (w.now / 1000) .. "s"
      end
    end
  end
  return true
end)
