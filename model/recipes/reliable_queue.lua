-- reliable-queue: a producer and two workers; no message lost or processed twice.
--
-- Source: seed 004 (atomic read-modify-write patterns), "Atomic move between lists":
-- `LMOVE source destination RIGHT LEFT` and its blocking form `BLMOVE … 30`, "commonly used
-- for reliable queues". The unreliable form it replaces pops and then pushes.
--
-- Roles: one producer (client A), two workers (B, C; symmetric among themselves only).
--   producer     1. LPUSH queue m1   2. LPUSH queue m2            (event produced m)
--   rpop-lpush   1. m = RPOP queue   2. LPUSH processing m   3. process m (event processed m)
--                4. LREM processing 1 m; again until the queue is empty
--   lmove        1. m = LMOVE queue processing RIGHT LEFT   2. process   3. LREM; again
--   blmove       1. m = BLMOVE queue processing RIGHT LEFT 0 (parks until a message comes)
--                2. process   3. LREM; again (twice at most: two messages)
--
-- Property `no-lost-message` (at the end): every message the producer pushed was processed
-- at most once, and it was processed or is still in `queue` or in `processing` (where a
-- recovery job finds the messages of a crashed worker).
--   rpop-lpush   VIOLATED under crash: A pushes m1; B pops it; B crashes before its LPUSH:
--                m1 is in no list and nobody processed it.
--   lmove        holds: the message is in `queue` or in `processing` at every step.
--   blmove       holds, likewise (a worker left waiting on an empty queue stays parked).
--
-- Run: cargo run --release -- check reliable-queue
scenario { name = "reliable-queue",
           summary = "a producer pushes two messages; two workers move them through a processing list",
           roles = { producer = 1, worker = 2 },
           faults = { "none", "crash" },
           subject = "queue",
           properties = { "no-lost-message" } }

local function producer(c)
  for _, m in ipairs({ "m1", "m2" }) do
    c:call("LPUSH", "queue", m)
    c:event("produced", m)
  end
end

-- A worker handles up to two messages (there are two), each: take, process, complete.
local function worker(take)
  return function(c)
    for _ = 1, 2 do
      local m = take(c)
      if not m then return end
      c:event("processed", m)
      c:call("LREM", "processing", 1, m)
    end
  end
end

variant("rpop-lpush", {
  producer = producer,
  worker = worker(function(c)
    local m = c:call("RPOP", "queue")
    if m then c:call("LPUSH", "processing", m) end
    return m
  end),
}, { summary = "RPOP, then LPUSH onto the processing list: a crash between loses the message" })

variant("lmove", {
  producer = producer,
  worker = worker(function(c) return c:call("LMOVE", "queue", "processing", "RIGHT", "LEFT") end),
}, { summary = "seed 004: LMOVE queue processing RIGHT LEFT, LREM on completion" })

variant("blmove", {
  producer = producer,
  worker = worker(function(c)
    return c:call("BLMOVE", "queue", "processing", "RIGHT", "LEFT", 0)
  end),
}, { summary = "seed 004: BLMOVE (blocking), LREM on completion" })

local function contains(list, m)
  for _, x in ipairs(list or {}) do
    if x == m then return true end
  end
  return false
end

property("no-lost-message", "at-end", function(w)
  local produced, processed = {}, {}
  for _, client in ipairs(w.clients) do
    for _, e in ipairs(client.events) do
      if e.name == "produced" then produced[#produced + 1] = e.value end
      if e.name == "processed" then processed[e.value] = (processed[e.value] or 0) + 1 end
    end
  end
  for _, m in ipairs(produced) do
    local n = processed[m] or 0
    if n > 1 then return false, m .. " was processed " .. n .. " times" end
    if n == 0 and not contains(w.keys.queue, m) and not contains(w.keys.processing, m) then
      return false, m .. " was lost: not processed, not in queue, not in processing"
    end
  end
  return true
end)
