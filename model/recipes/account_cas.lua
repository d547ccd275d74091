-- account-cas: withdraw from a balance with WATCH/MULTI/EXEC (check-and-set), retried.
--
-- Source: seed 004 (atomic read-modify-write patterns), "WATCH implements check-and-set":
-- the first listing (WATCH, GET, MULTI, SET balance - 100, EXEC, once) and the retry loop
-- (max_retries = 5; WATCH, GET, `if balance < amount: UNWATCH, raise InsufficientFunds()`,
-- MULTI, SET, EXEC, `if result is not None: return`; after the loop `raise TooManyRetries()`).
--
-- Two clients each withdraw 2 from account:123:balance = 3: one of them can be served.
--   watch-once         the first listing: 1. WATCH  2. b = GET  3. MULTI  4. SET b - 2  5. EXEC
--   cas-loop           the retry loop as printed: up to 5 tries (--retries, default 4, counts the
--                      tries after the first) of 1. WATCH  2. b = GET  3. if b < 2: UNWATCH,
--                      InsufficientFunds  4. MULTI  5. SET b - 2  6. EXEC; nil: try again
--   cas-loop-no-watch  cas-loop without the WATCH (what WATCH is for)
--
-- Properties (always): `no-overdraft`: the balance is never negative; `no-lost-withdrawal`:
-- the balance went down by exactly the sum of the withdrawals the clients saw succeed.
-- TooManyRetries and InsufficientFunds are outcomes both allow (nothing was taken).
--   watch-once         no-overdraft VIOLATED without any interleaving: A takes 2 (balance 1),
--                      then B's transaction, with nothing changed under its WATCH, sets -1: the
--                      listing has no funds check. no-lost-withdrawal holds (an aborted EXEC
--                      takes nothing).
--   cas-loop           both hold: a withdrawal commits only if the balance it read is still
--                      there, and the check refuses one that would overdraw. TooManyRetries
--                      needs five aborts, each another client's withdrawal, and a balance of
--                      3 allows one: at these bounds it is reached only with --retries 0
--                      (one try), where both properties still hold.
--   cas-loop-no-watch  no-lost-withdrawal VIOLATED: A and B both read 3, both SET 1: 4 taken
--                      for 2 off the balance. no-overdraft holds (each SET writes 3 - 2).
--
-- Run: cargo run --release -- check account-cas
scenario { name = "account-cas",
           summary = "two clients each withdraw 2 from a balance of 3",
           keys = { ["account:123:balance"] = "3" }, clients = 2, params = { retries = 4 },
           properties = { "no-overdraft", "no-lost-withdrawal" } }

local BALANCE, AMOUNT, INITIAL = "account:123:balance", 2, 3

variant("watch-once", function(c)
  c:call("WATCH", BALANCE)
  local balance = tonumber(c:call("GET", BALANCE)) or 0
  c:call("MULTI")
  c:call("SET", BALANCE, balance - AMOUNT)
  if c:call("EXEC") ~= nil then c:committed(AMOUNT) else c:gave_up() end
end, { summary = "seed 004's first WATCH listing: no funds check, no retry" })

local SUCCESS, INSUFFICIENT = 1, 2

local function cas_loop(c, watch)
  local outcome = c:attempts(1 + c.params.retries, function()
    if watch then c:call("WATCH", BALANCE) end
    local balance = tonumber(c:call("GET", BALANCE)) or 0
    if balance < AMOUNT then
      if watch then c:call("UNWATCH") end
      return INSUFFICIENT -- raise InsufficientFunds()
    end
    c:call("MULTI")
    c:call("SET", BALANCE, balance - AMOUNT)
    if c:call("EXEC") ~= nil then return SUCCESS end
  end)
  if outcome == SUCCESS then c:committed(AMOUNT) else c:gave_up() end -- or TooManyRetries
end

variant("cas-loop", function(c) cas_loop(c, true) end,
        { summary = "seed 004's CAS loop: max_retries = 5, UNWATCH and InsufficientFunds" })
variant("cas-loop-no-watch", function(c) cas_loop(c, false) end,
        { summary = "the CAS loop without WATCH" })

property("no-overdraft", "always", function(w)
  local balance = tonumber(w.keys[BALANCE]) or 0
  return balance >= 0, BALANCE .. " = " .. balance .. ": overdrawn"
end)

property("no-lost-withdrawal", "always", function(w)
  local withdrawn = 0
  for _, client in ipairs(w.clients) do withdrawn = withdrawn + client.committed end
  local balance = tonumber(w.keys[BALANCE]) or 0
  local taken = INITIAL - balance
  return taken == withdrawn, withdrawn .. " withdrawn but the balance went down by " .. taken
end)
