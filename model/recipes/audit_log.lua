-- audit-log: change a hash field and append the change to a log, atomically.
--
-- Source: seed 004 (atomic read-modify-write patterns), "Update user and log the change
-- atomically": a script that HGETs the old value, HSETs the new one and RPUSHes
-- cjson.encode({field, old, new, time = redis.call('TIME')[1]}) onto the log. Run verbatim by
-- `script`.
--
-- Two clients each set user:123's field `email` to "new@example.com" and log the change on
-- user:123:log (both start absent). Every log entry says what the field was and became.
--   script     1. EVAL the seed's script (HGET, HSET, RPUSH inside the server: one step)
--   separate   the same three commands sent one by one: 1. old = HGET user:123 email
--              2. HSET user:123 email new@example.com  3. RPUSH user:123:log {the same JSON,
--              with the client's clock for `time`}
--
-- Property `log-replays` (when every client has finished): replaying the log in order from
-- the empty hash, each entry's `old` is the field's value at that point, and the result is
-- the hash's final state. (The property decodes the JSON the entries hold.)
--   script     holds: each entry is written in the same atomic step as the change it records,
--              so the second entry's `old` is the first one's `new`.
--   separate   VIOLATED without faults: A and B both HGET nothing, then both HSET and RPUSH:
--              the log says the field was created twice (the second entry's old is false
--              where the replay has new@example.com). Under `crash` a client that dies after
--              its HSET leaves a change the log never records, even alone.
--
-- The model's TIME is its own clock (the README's "clock"), so the `time` a script entry
-- carries differs from a live server's; no check depends on it.
--
-- Run: cargo run --release -- check audit-log
scenario { name = "audit-log",
           summary = "two clients each change user:123's email and log the change",
           clients = 2, subject = "user:123",
           properties = { "log-replays" } }

local HASH, LOG, FIELD, VALUE = "user:123", "user:123:log", "email", "new@example.com"

-- Seed 004, verbatim.
local AUDITED_SET = [[
local old_value = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('RPUSH', KEYS[2], cjson.encode({
field = ARGV[1],
old = old_value,
new = ARGV[2],
time = redis.call('TIME')[1]
}))
return old_value
]]

variant("script", function(c)
  c:call("EVAL", AUDITED_SET, 2, HASH, LOG, FIELD, VALUE)
end, { summary = "seed 004's HGET/HSET/RPUSH script" })

-- A JSON string literal of `s` (the values here are plain ASCII).
local function quoted(s)
  return '"' .. s:gsub('[%c"\\]', function(ch)
    return string.format("\\u%04x", ch:byte())
  end) .. '"'
end

variant("separate", function(c)
  local old = c:call("HGET", HASH, FIELD)
  c:call("HSET", HASH, FIELD, VALUE)
  local time = tostring(math.floor(c:now() / 1000))
  -- The keys in the order cjson.encode writes the script's table (Redis 7.0 and the model).
  local entry = '{"old":' .. (old and quoted(old) or "false")
    .. ',"new":' .. quoted(VALUE)
    .. ',"time":' .. quoted(time)
    .. ',"field":' .. quoted(FIELD) .. '}'
  c:call("RPUSH", LOG, entry)
end, { summary = "HGET, HSET, RPUSH sent one by one" })

-- A flat JSON object of strings, numbers, booleans and null, as cjson.encode writes one.
local function decode(s)
  local i, obj = 1, {}
  local function skip() i = s:find("[^ \t\r\n]", i) or #s + 1 end
  local function expect(ch)
    skip()
    if s:sub(i, i) ~= ch then error("expected " .. ch .. " at " .. i) end
    i = i + 1
  end
  local escapes = { ['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n',
                    r = '\r', t = '\t' }
  local function string_at()
    expect('"')
    local out = {}
    while true do
      local ch = s:sub(i, i)
      if ch == "" then error("unterminated string") end
      i = i + 1
      if ch == '"' then return table.concat(out) end
      if ch == "\\" then
        local e = s:sub(i, i)
        if e == "u" then
          out[#out + 1] = string.char(tonumber(s:sub(i + 1, i + 4), 16) % 256)
          i = i + 5
        elseif escapes[e] then
          out[#out + 1] = escapes[e]
          i = i + 1
        else
          error("bad escape \\" .. e)
        end
      else
        out[#out + 1] = ch
      end
    end
  end
  local function value()
    skip()
    local ch = s:sub(i, i)
    if ch == '"' then return string_at() end
    for word, v in pairs({ ["true"] = true, ["false"] = false, ["null"] = false }) do
      if s:sub(i, i + #word - 1) == word then i = i + #word return v end
    end
    local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
    if num and #num > 0 then i = i + #num return tonumber(num) end
    error("unexpected " .. ch .. " at " .. i)
  end
  expect("{")
  skip()
  if s:sub(i, i) == "}" then return obj end
  repeat
    local k = string_at()
    expect(":")
    obj[k] = value()
    skip()
    local sep = s:sub(i, i)
    i = i + 1
  until sep ~= ","
  if s:sub(i - 1, i - 1) ~= "}" then error("expected } at " .. (i - 1)) end
  return obj
end

local function shown(v) return v and ('"' .. v .. '"') or "(none)" end

property("log-replays", "at-end", function(w)
  local log = w.keys[LOG] or {}
  if type(log) ~= "table" then return false, LOG .. " is not a list" end
  local replayed = {}
  for n, text in ipairs(log) do
    local ok, entry = pcall(decode, text)
    if not ok then return false, "log entry " .. n .. " is not JSON: " .. text end
    local was = replayed[entry.field]
    local old = entry.old or nil
    if was ~= old then
      return false, "log entry " .. n .. " says " .. tostring(entry.field) .. " was "
        .. shown(old) .. ", the log's replay has " .. shown(was)
    end
    replayed[entry.field] = entry.new
  end
  local hash = w.keys[HASH] or {}
  if type(hash) ~= "table" then return false, HASH .. " is not a hash" end
  for f, v in pairs(hash) do
    if replayed[f] ~= v then
      return false, HASH .. " " .. f .. " = " .. shown(v) .. ", the log replays to "
        .. shown(replayed[f])
    end
  end
  for f, v in pairs(replayed) do
    if hash[f] == nil then
      return false, "the log replays to " .. f .. " = " .. shown(v) .. ", " .. HASH .. " has none"
    end
  end
  return true
end)
