-- The script sandbox: builds the one environment every script of a profile runs in.
--
-- Loaded once per Lua state with the natives table (Rust functions) as its argument; returns
-- `make_env(info)`, which builds a profile's environment, and the xpcall message handler.
-- Nothing a script can reach may change: Redis 7.0 makes _G and every library table
-- read-only, and the model does the same with proxies (an empty table whose metatable reads
-- through to the real one and refuses writes), so one EVAL cannot leave anything behind for
-- the next, nor for another model state. The raw functions that would bypass a proxy (rawset,
-- rawget, next, pairs, ipairs, unpack, setmetatable, getmetatable, table.*, loadstring) are
-- wrapped to see through it.
--
-- A function that can raise is built as `expose(impl)`: `impl` returns (true, results…) or
-- (false, kind, value) and a C trampoline (engine.rs) raises `value`, with the caller's
-- position first for kind 'where' (as luaL_error), as it is for kind 'plain'. A C function
-- keeps the script's frame on a tail call (`return bit.band()`), so errors keep their line.
local natives = ...
local expose = natives.trampoline
local base_rawget, base_rawset, base_next, base_ipairs = rawget, rawset, next, ipairs
local base_setmetatable, base_getmetatable, base_unpack = setmetatable, getmetatable, unpack
local base_type, base_error, base_tostring, base_select = type, error, tostring, select
local base_pcall, base_xpcall, base_setfenv = pcall, xpcall, setfenv
local base_loadstring, base_load, base_resume = loadstring, load, coroutine.resume
local getinfo = debug.getinfo
local string_mt = getmetatable('')

local READONLY = 'Attempt to modify a readonly table'

-- proxy -> the table it stands for (fixed set; scripts cannot make proxies).
local behind = {}

-- A refusal is recorded where a script cannot undo it (pcall included): the reply of the
-- whole script is then the refusal.
local function refuse(what)
  if __rr_refused == nil then __rr_refused = what end
  base_error('ERR model: unmodelled: ' .. what, 0)
end

-- An error raised by a Rust function (redis.call, a trampoline) reaches Lua as a userdata;
-- the value it stands for waits in __rr_raised.
local function take_raised(e)
  if base_type(e) == 'userdata' and __rr_raised ~= nil then
    e = __rr_raised
    __rr_raised = nil
  end
  return e
end

local function readonly_error() base_error(READONLY, 2) end


-- The current line of the innermost script frame above `level`.
local function script_line(level)
  while true do
    local at = getinfo(level, 'Sl')
    if not at then return 1 end
    if at.what ~= 'C' and at.source ~= '=sandbox' then return at.currentline end
    level = level + 1
  end
end

local function copy(t)
  local c = {}
  for k, v in base_next, t do c[k] = v end
  return c
end

local function pack(...) return { n = base_select('#', ...), ... } end

-- 6.0's strict mode (its `enable_strict_lua` chunk) raises a plain string, which a pcall in
-- the script sees as it is; uncaught, Redis reports it at the line of that chunk.
local last_strict = nil
local function strict_error(msg, line)
  local text = 'user_script:' .. script_line(4) .. ': ' .. msg
  last_strict = { text = text, line = line }
  base_error(text, 0)
end

-- Calls `f`; a Lua error becomes a 'where' failure for the trampoline.
local function forward(f, ...)
  local r = pack(base_pcall(f, ...))
  if r[1] then return base_unpack(r, 1, r.n) end
  return false, 'where', take_raised(r[2])
end

-- Builds one profile's environment. `info` describes the profile (see engine.rs).
local function make_env(info)
  local v60 = info.v60
  local name = info.lib_name -- "redis" or "server" in messages
  -- Redis's luaPushError + lua_error: an error table, no position in the message.
  local function fail(msg)
    if v60 then return false, 'plain', { err = msg } end
    return false, 'plain', { err = 'ERR ' .. msg }
  end
  local function refusing(what) return function() refuse(what) end end
  local mine = {} -- this environment's proxies
  local function protect(t)
    local p = {}
    base_setmetatable(p, { __index = t, __newindex = readonly_error })
    behind[p] = t
    mine[#mine + 1] = p
    return p
  end
  local visible = {}
  local env = {}
  behind[env] = visible
  local function see(t) return behind[t] or t end
  -- The write a protected table refuses: 7.0's error, or 6.0's kept write (unmodelled).
  local function refused_write()
    if v60 then refuse('Redis 6.0 keeps writes to a library table for later scripts') end
    return false, 'plain', READONLY
  end

  local redis = {}
  local function arg_error()
    if v60 then
      return { err = '@user_script: ' .. script_line(2) .. ': wrong number or type of arguments' }
    end
    return { err = 'ERR wrong number or type of arguments' }
  end
  redis.status_reply = expose(function(...)
    local s = ...
    if base_select('#', ...) ~= 1 or base_type(s) ~= 'string' then return true, arg_error() end
    return true, { ok = s }
  end)
  redis.error_reply = expose(function(...)
    local s = ...
    if base_select('#', ...) ~= 1 or base_type(s) ~= 'string' then return true, arg_error() end
    if v60 then return true, { err = s } end -- 6.0 takes the text as it is
    if string.sub(s, 1, 1) == '-' then s = string.sub(s, 2) end
    if not string.find(s, ' ', 1, true) then s = 'ERR ' .. s end
    return true, { err = s }
  end)
  redis.sha1hex = expose(function(...)
    if base_select('#', ...) ~= 1 then return fail('wrong number of arguments') end
    return true, natives.sha1hex((...))
  end)
  redis.log = expose(function(...)
    local n, level = base_select('#', ...), ...
    if n < 2 then return fail(name .. '.log() requires two arguments or more.') end
    level = tonumber(level)
    if level == nil then return fail('First argument must be a number (log level).') end
    if level < 0 or level > 3 then return fail(info.log_level_error) end
    return true
  end)
  redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
  redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
  function redis.replicate_commands() return true end
  function redis.breakpoint() return false end
  function redis.debug() end
  redis.setresp = expose(function(...)
    if base_select('#', ...) ~= 1 then return fail(name .. '.setresp() requires one argument.') end
    local v = tonumber((...))
    if v ~= 2 and v ~= 3 then return fail('RESP version must be 2 or 3.') end
    if v == 3 then refuse('redis.setresp(3): RESP3 replies inside scripts') end
    return true
  end)
  -- The model has one server and no AOF: where effects go changes nothing it observes.
  redis.set_repl = expose(function(...)
    if base_select('#', ...) ~= 1 then return fail(info.set_repl_arity) end
    local flags = tonumber((...))
    if flags == nil or flags < 0 or flags > 3 or flags % 1 ~= 0 then
      return fail('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.')
    end
    return true
  end)
  if not v60 then
    redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = info.version, info.version_num
    redis.acl_check_cmd = refusing('redis.acl_check_cmd (ACLs)')
  end
  if info.valkey then
    redis.SERVER_NAME = 'valkey'
    redis.VALKEY_VERSION, redis.VALKEY_VERSION_NUM = info.valkey_version, info.valkey_version_num
  end

  local bit = {}
  for _, op in base_ipairs({ 'tobit', 'bnot', 'band', 'bor', 'bxor', 'lshift', 'rshift', 'arshift',
                              'rol', 'ror', 'bswap', 'tohex' }) do
    bit[op] = expose(natives['bit_' .. op])
  end
  local cjson = { _NAME = 'cjson', _VERSION = '2.1.0', null = natives.null }
  cjson.encode = expose(natives.cjson_encode)
  if info.valkey then
    -- Measured: Valkey 8.1 orders string keys unlike Redis's Lua ({v=…, list=…} encodes as
    -- {"v":…,"list":…} there, {"list":…,"v":…} on Redis 7.0 and 8.0).
    local encode = natives.cjson_encode
    cjson.encode = expose(function(...)
      if natives.cjson_hashed_keys((...)) > 1 then
        refuse("cjson.encode of a table with several string keys (Valkey's key order)")
      end
      return encode(...)
    end)
  end
  cjson.decode = expose(natives.cjson_decode)
  local defaults = {
    encode_sparse_array = { false, 2, 10 }, encode_max_depth = { 1000 }, decode_max_depth = { 1000 },
    encode_number_precision = { 14 }, encode_keep_buffer = { true },
    encode_invalid_numbers = { false }, decode_invalid_numbers = { true },
  }
  for setting, value in base_next, defaults do
    -- Reading a setting is harmless; changing one would outlive the script on a real server.
    cjson[setting] = function(...)
      if base_select('#', ...) > 0 then refuse('cjson.' .. setting .. ' with arguments') end
      return base_unpack(value)
    end
  end
  cjson.new = refusing('cjson.new')
  local cmsgpack = { _NAME = 'cmsgpack', _VERSION = 'lua-cmsgpack 0.4.0',
    _COPYRIGHT = 'Copyright (C) 2012, Salvatore Sanfilippo',
    _DESCRIPTION = 'MessagePack C implementation for Lua',
    pack = refusing('cmsgpack.pack'), unpack = refusing('cmsgpack.unpack'),
    unpack_one = refusing('cmsgpack.unpack_one'), unpack_limit = refusing('cmsgpack.unpack_limit') }
  local struct = { pack = refusing('struct.pack'), unpack = refusing('struct.unpack'),
    size = refusing('struct.size') }

  -- A real server's random generator and heap are shared by every script it ever ran.
  local math_ = copy(math)
  math_.random = refusing('math.random (its state is shared by every script a server ran)')
  math_.randomseed = refusing('math.randomseed (its state outlives the script)')

  local table_ = copy(table)
  for _, f in base_ipairs({ 'insert', 'remove', 'sort', 'setn' }) do
    local orig = table[f]
    table_[f] = expose(function(t, ...)
      if behind[t] then return refused_write() end
      return forward(orig, t, ...)
    end)
  end
  for _, f in base_ipairs({ 'concat', 'getn', 'maxn', 'foreach', 'foreachi' }) do
    local orig = table[f]
    table_[f] = function(t, ...) return orig(see(t), ...) end
  end

  local function wrapped_next(t, k) return base_next(see(t), k) end
  local function load_here(loader)
    return function(...)
      local f, e = loader(...)
      if f then base_setfenv(f, env) end
      return f, e
    end
  end

  -- Redis 7 replaces pcall so that an error table raised by redis.call reaches the script as
  -- its message string (luaRedisPcall).
  local function script_pcall(...)
    local r = pack(base_pcall(...))
    if r[1] == false then
      local e = take_raised(r[2])
      if base_type(e) == 'table' and (base_type(e.err) == 'string' or base_type(e.err) == 'number') then
        e = e.err
      end
      r[2] = e
    end
    return base_unpack(r, 1, r.n)
  end

  visible._G = env
  visible._VERSION = _VERSION
  visible.assert, visible.error, visible.select, visible.type = assert, error, select, type
  visible.tonumber, visible.rawequal = tonumber, rawequal
  visible.pcall = script_pcall
  visible.xpcall = function(f, handler)
    return base_xpcall(f, function(e) return handler(take_raised(e)) end)
  end
  visible.rawget = function(t, k) return base_rawget(see(t), k) end
  visible.rawset = expose(function(t, k, v)
    if behind[t] then return refused_write() end
    return forward(base_rawset, t, k, v)
  end)
  visible.next = wrapped_next
  visible.pairs = function(t) return wrapped_next, t, nil end
  visible.ipairs = function(t) return base_ipairs(see(t)) end
  visible.unpack = function(t, ...) return base_unpack(see(t), ...) end
  visible.setmetatable = expose(function(t, m)
    if behind[t] then return refused_write() end
    return forward(base_setmetatable, t, m)
  end)
  visible.tostring = function(v)
    local ty = base_type(v)
    if ty == 'table' or ty == 'function' or ty == 'thread' then
      refuse('tostring of a ' .. ty .. ' (it shows a memory address)')
    end
    return base_tostring(v)
  end
  visible.gcinfo = refusing('gcinfo (the heap size of a real server)')
  visible.collectgarbage = refusing('collectgarbage (the heap of a real server)')
  visible.loadstring = load_here(base_loadstring)
  visible.load = load_here(base_load)
  local coroutine_ = copy(coroutine)
  coroutine_.resume = function(...)
    local r = pack(base_resume(...))
    if r[1] == false then r[2] = take_raised(r[2]) end
    return base_unpack(r, 1, r.n)
  end
  visible.coroutine = protect(coroutine_)
  visible.math = protect(math_)
  visible.string = protect(string)
  visible.table = protect(table_)
  visible.bit = protect(bit)
  visible.cjson = protect(cjson)
  visible.cmsgpack = protect(cmsgpack)
  visible.struct = protect(struct)
  visible.redis = protect(redis)
  if info.valkey then visible.server = visible.redis end
  visible.__redis__err__handler = function(e) return e end

  -- What getmetatable shows of the string metatable: its __index is the string library the
  -- script sees.
  local string_mt_seen = copy(string_mt)
  string_mt_seen.__index = visible.string
  local string_mt_view = protect(string_mt_seen)
  local env_mt_view = {}
  visible.getmetatable = function(t)
    if t == env then return env_mt_view end
    if behind[t] then return nil end
    local m = base_getmetatable(t)
    if m == string_mt then return string_mt_view end
    return m
  end

  local function missing(_, k)
    local v = visible[k]
    if v ~= nil then return v end
    local msg = "Script attempted to access nonexistent global variable '" .. base_tostring(k) .. "'"
    if v60 then strict_error(msg, 15) end
    -- Not 6.0's strict chunk: a record another profile's script left must not relocate this.
    last_strict = nil
    base_error(msg, 2)
  end
  local function assign(_, k)
    if v60 then
      if visible[k] == nil then
        strict_error("Script attempted to create global variable '" .. base_tostring(k) .. "'", 8)
      end
      refuse('Redis 6.0 keeps a reassigned global for later scripts')
    end
    base_error(READONLY, 2)
  end
  env_mt_view.__index = missing
  base_setmetatable(env, { __index = missing, __newindex = assign })
  if v60 then
    -- 6.0 lets scripts change library tables, and the change outlives them: unmodelled.
    local function kept() refuse('Redis 6.0 keeps writes to a library table for later scripts') end
    for _, p in base_ipairs(mine) do base_getmetatable(p).__newindex = kept end
  end
  return env, visible, redis
end

-- The message handler of xpcall: turns any error into {err=…, source=…, line=…}, located at
-- the innermost frame of the script (not of this sandbox nor of a C function).
local function on_error(e)
  e = take_raised(e)
  if last_strict ~= nil and e == last_strict.text then
    e = { err = 'ERR ' .. e, source = '@enable_strict_lua', line = last_strict.line }
  end
  if base_type(e) ~= 'table' then e = { err = 'ERR ' .. base_tostring(e) } end
  if e.source == nil then
    local level = 2
    while true do
      local at = getinfo(level, 'Sl')
      if not at then break end
      if at.what ~= 'C' and at.what ~= 'tail' and at.source ~= '=sandbox' then
        e.source = at.source; e.line = at.currentline
        break
      end
      level = level + 1
    end
  end
  return e
end

return make_env, on_error
