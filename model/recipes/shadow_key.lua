-- shadow-key: replace a multi-field value so that no reader sees it half-written.
--
-- Source: seed 004 (atomic read-modify-write patterns), "Update a complex value without
-- readers seeing partial state": build the new value in tmp:user:123:cache (DEL, then one
-- HSET per field), then `RENAME tmp:user:123:cache user:123:cache`; "RENAME preserves TTL
-- from the source key. To set new TTL: RENAME …, EXPIRE final:key 3600. Or use COPY (Redis
-- 6.2+) with REPLACE: COPY tmp:key final:key REPLACE, DEL tmp:key, EXPIRE final:key 3600."
--
-- user:123:cache holds field1..field3 = "v0" with a TTL of 3600 s. One reader (role
-- `reader`) reads it once with HGETALL; two writers (role `writer`) each replace it with
-- field1..field3 = their own token. Both writers use the seed's one temporary key name.
--   in-place       1-3. HSET user:123:cache fieldN token (one field at a time)
--   one-hset       1. HSET user:123:cache field1 token field2 token field3 token
--   rename         as printed: 1. DEL tmp  2-4. HSET tmp fieldN token  5. RENAME tmp cache
--   rename-expire  rename, then 6. EXPIRE cache 3600
--   copy-replace   1-4 as rename, 5. COPY tmp cache REPLACE  6. DEL tmp  7. EXPIRE cache 3600
--   multi-rename   rename-expire's seven commands inside one MULTI … EXEC
--
-- Properties: `no-partial-read` (always): the reader saw three fields of one version;
-- `cache-expires` (at the end): the cache, if there, still has an expiry.
--   in-place       no-partial-read VIOLATED: the reader's HGETALL between two HSETs sees
--                  field1 = A beside field2 = v0. cache-expires holds (HSET keeps the TTL).
--   one-hset       both hold: one HSET writes every field in one step (for a value small
--                  enough for one command; the seed's pattern is for large ones).
--   rename, rename-expire, copy-replace   no-partial-read VIOLATED: with two writers the
--                  seed's fixed temporary name is shared: B's DEL and HSETs land in the key A
--                  is building (or in a fresh one after A's RENAME took it), so a swap
--                  installs a mix of A's and B's fields, or B's RENAME a key with one field.
--                  The swap itself is atomic; the shared build key is the bug. A temporary
--                  name per writer fixes it, but a client's token inside a key name is
--                  outside the checker's symmetry contract (docs/RECIPES.md), so that variant
--                  is not modelled here; multi-rename below is the fix that is.
--                  cache-expires: rename VIOLATED with no fault (RENAME gives the cache the
--                  temporary key's "no expiry", as the seed warns); rename-expire and
--                  copy-replace VIOLATED under crash only: a writer that dies between the
--                  swap and its EXPIRE leaves a cache that never expires (the TTL window).
--   multi-rename   both hold: the build and the swap are one transaction (no interleaving,
--                  and a crash before EXEC discards it whole) — at the price of blocking the
--                  server while it runs, which is what the shadow key was meant to avoid.
--
-- Run: cargo run --release -- check shadow-key
scenario { name = "shadow-key",
           summary = "a reader reads user:123:cache while two writers replace it",
           keys = { ["user:123:cache"] = { hash = { field1 = "v0", field2 = "v0", field3 = "v0" },
                                           ex = 3600 } },
           roles = { reader = 1, writer = 2 }, subject = "user:123:cache",
           properties = { "no-partial-read", "cache-expires" } }

local CACHE, TMP, FIELDS = "user:123:cache", "tmp:user:123:cache", { "field1", "field2", "field3" }

-- HGETALL once; the reader states whether it saw one whole version.
local function read(c)
  local r = c:call("HGETALL", CACHE)
  local n, version, whole = 0, nil, true
  for i = 1, #r, 2 do
    n = n + 1
    if version == nil then version = r[i + 1] elseif r[i + 1] ~= version then whole = false end
  end
  c:event("read", (n == #FIELDS and whole) and "whole" or "partial")
end

local function build(c)
  c:call("DEL", TMP)
  for _, f in ipairs(FIELDS) do c:call("HSET", TMP, f, c.token) end
end

local function writer(body) return { reader = read, writer = body } end

variant("in-place", writer(function(c)
  for _, f in ipairs(FIELDS) do c:call("HSET", CACHE, f, c.token) end
end), { summary = "one HSET per field on the cache itself" })

variant("one-hset", writer(function(c)
  c:call("HSET", CACHE, "field1", c.token, "field2", c.token, "field3", c.token)
end), { summary = "every field in one HSET" })

variant("rename", writer(function(c)
  build(c)
  c:call("RENAME", TMP, CACHE)
end), { summary = "seed 004 as printed: build in tmp:user:123:cache, RENAME" })

variant("rename-expire", writer(function(c)
  build(c)
  c:call("RENAME", TMP, CACHE)
  c:call("EXPIRE", CACHE, 3600)
end), { summary = "seed 004: RENAME, then EXPIRE 3600" })

variant("copy-replace", writer(function(c)
  build(c)
  c:call("COPY", TMP, CACHE, "REPLACE")
  c:call("DEL", TMP)
  c:call("EXPIRE", CACHE, 3600)
end), { summary = "seed 004: COPY … REPLACE, DEL, EXPIRE 3600" })

variant("multi-rename", writer(function(c)
  c:call("MULTI")
  build(c)
  c:call("RENAME", TMP, CACHE)
  c:call("EXPIRE", CACHE, 3600)
  c:call("EXEC")
end), { summary = "rename-expire inside MULTI/EXEC" })

property("no-partial-read", "always", function(w)
  for _, client in ipairs(w.clients) do
    for _, e in ipairs(client.events) do
      if e.name == "read" and e.value == "partial" then
        return false, client.name .. " read a partial " .. CACHE
      end
    end
  end
  return true
end)

property("cache-expires", "at-end", function(w)
  if w.keys[CACHE] ~= nil and w.expires[CACHE] == nil then
    return false, CACHE .. " has no expiry: it will never go"
  end
  return true
end)
