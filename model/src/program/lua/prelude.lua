-- The environment of a recipe file (redis-races): the declarations, and the client handle
-- whose verbs yield to the runtime. Loaded before the user's file; nothing here is the user's.
local yield = coroutine.yield
local decl = { variants = {}, properties = {} }
__rr_decl = decl

function scenario(t)
  if type(t) ~= "table" then error("scenario{...} takes a table", 2) end
  if decl.scenario ~= nil then error("scenario{...} is declared twice", 2) end
  decl.scenario = t
end

-- variant(name, function(c) ... end [, options]), or with roles
-- variant(name, { producer = function(c) ... end, worker = function(c) ... end } [, options]).
function variant(name, body, options)
  local roles = nil
  if type(body) == "table" then
    roles = body
    for role, f in pairs(roles) do
      if type(role) ~= "string" or type(f) ~= "function" then
        error("variant " .. tostring(name) .. ": { role = function(c) ... end, ... } expected", 2)
      end
    end
    body = nil
  elseif type(body) ~= "function" then
    body = false
  end
  if type(name) ~= "string" or body == false then
    error("variant(name, function(c) ... end [, options]) expected", 2)
  end
  table.insert(decl.variants, { name = name, body = body, roles = roles, options = options or {} })
end

function property(name, kind, check)
  if type(name) ~= "string" or type(kind) ~= "string" or type(check) ~= "function" then
    error('property(name, "always" | "at-end", function(w) ... end) expected', 2)
  end
  if kind ~= "always" and kind ~= "at-end" then
    error('property ' .. name .. ': kind must be "always" or "at-end", not "' .. kind .. '"', 2)
  end
  table.insert(decl.properties, { name = name, kind = kind, check = check })
end

local C = {}
C.__index = C
__rr_client = C

function C:call(...) return yield("call", rawget(self, "__conn") or false, ...) end
function C:call_on(conn, ...) return yield("call", conn, ...) end
function C:receive(timeout_ms) return yield("receive", false, timeout_ms) end
function C:receive_on(conn, timeout_ms) return yield("receive", conn, timeout_ms) end
function C:now() return yield("now") end
function C:acquired(lease_s) yield("event", "acquired", lease_s) end
function C:acquired_until(deadline_ms) yield("event", "acquired-until", deadline_ms) end
function C:enter() yield("event", "enter") end
function C:exit() yield("event", "exit") end
function C:released() yield("event", "released") end
function C:committed(delta) yield("event", "committed", delta or 1) end
function C:gave_up() yield("event", "gave-up") end
function C:event(name, value) yield("named", name, value) end
function C:sleep(ms) yield("sleep", ms) end
function C:choose(n) return yield("choose", n) end
function C:spawn(name, fn) yield("spawn", name, fn) end
function C.is_error(r) return type(r) == "table" and r.err ~= nil end

-- Up to n attempts of body(attempt) (attempt from 0) until one returns a value other than
-- nil or false: true, or an integer from 0 to 2^31 - 1 (an outcome small enough to be
-- remembered in place of the attempts); returns it, or false when every attempt failed.
-- Attempts share nothing but their number (see the Rust docs of Client::attempts).
function C:attempts(n, body)
  local ended, k = yield("attempts-begin")
  if ended then return k end
  while k < n do
    local r = body(k)
    if r then
      yield("attempts-end", r)
      return r
    end
    k = k + 1
    yield("attempts-failed", k)
  end
  yield("attempts-end", false)
  return false
end

-- The sandbox: no I/O, no real time, no randomness, no loading of other code.
coroutine = nil
os, io, debug, package, module, require = nil, nil, nil, nil, nil, nil
dofile, loadfile, load, loadstring, collectgarbage, getfenv, setfenv, newproxy = nil, nil, nil, nil, nil, nil, nil, nil
gcinfo, print = nil, nil
math.random, math.randomseed = nil, nil
