-- order-confirm: confirm an order and take its stock in one WATCH transaction.
--
-- Source: seed 004 (atomic read-modify-write patterns), "Watch multiple keys for atomic
-- updates across them": WATCH inventory:sku123 order:456:status, GET the stock, UNWATCH and
-- OutOfStock when it is short, else MULTI, DECRBY inventory:sku123 quantity,
-- SET order:456:status "confirmed", EXEC. Run as printed by `as-printed`.
--
-- Two clients confirm the same order 456 (quantity 1): the request was retried, so it
-- arrives twice. Stock starts at 2, so a second confirmation is not stopped by OutOfStock.
--   as-printed        1. WATCH stock status  2. s = GET stock  3. if s < 1: UNWATCH, stop
--                     4. MULTI  5. DECRBY stock 1  6. SET status confirmed  7. EXEC
--   watch-stock-only  as-printed, WATCH inventory:sku123 only
--   status-check      as-printed, plus: after WATCH, GET order:456:status; "confirmed": UNWATCH,
--                     stop (already done); an aborted EXEC is retried (--retries, default 1)
--   checked-stock-only  status-check with WATCH on the stock key only
--
-- Property `stock-once-per-order` (always): the stock is never negative, and it went down by
-- exactly the quantity once the order is confirmed (not at all before).
--   as-printed        VIOLATED, with no fault and no interleaving needed: A confirms (stock 1),
--                     then B runs the same request and nothing in it looks at the order: its
--                     WATCH sees no change after it began, so B's EXEC also takes stock (0).
--                     WATCHing order:456:status only detects a change *during* the
--                     transaction; a retried request comes after it.
--   watch-stock-only  VIOLATED, the same run.
--   status-check      holds: a confirmation after A's sees "confirmed" and stops; one that
--                     read the status before A's EXEC has its EXEC aborted (both keys changed)
--                     and its retry sees "confirmed".
--   checked-stock-only  holds too, with these clients: every confirmation also
--                     writes the stock key, so watching the stock alone already aborts the
--                     second EXEC. Watching the status matters against a writer that changes
--                     only the status (a cancellation), which this scenario does not have.
--
-- Property `order-confirmed` (at end): the order ends confirmed. Holds for every variant on
-- one server (at least one of the two requests commits).
--
-- The seed's cluster note ("all watched keys must be in the same slot; use hash tags"), checked
-- as on a cluster (`check order-confirm --cluster`): inventory:sku123 (slot 5242) and
-- order:456:status (slot 9813) span slots, so WATCH of both and every EXEC that DECRBYs the
-- stock and SETs the status get CROSSSLOT. Every variant then violates `order-confirmed`
-- (nothing is ever confirmed), and `stock-once-per-order` holds only because nothing happens
-- at all; as-printed even counts the CROSSSLOT error from EXEC as a commit (it only tests for
-- nil). The hash-tagged keys the note asks for (inventory:{sku123}, order:{sku123}:456, both
-- slot 5949) confirm on a cluster: examples/recipes/order_slots.lua.
--
-- Run: cargo run --release -- check order-confirm
scenario { name = "order-confirm",
           summary = "two clients confirm order 456 (a retried request) with stock 2",
           keys = { ["inventory:sku123"] = "2" }, clients = 2, params = { retries = 1 },
           subject = "inventory:sku123",
           properties = { "stock-once-per-order", "order-confirmed" } }

local STOCK, STATUS, QUANTITY, INITIAL = "inventory:sku123", "order:456:status", 1, 2

-- The seed's listing, watching `watched`; one try, as printed.
local function confirm_as_printed(c, watched)
  c:call("WATCH", unpack(watched))
  local stock = tonumber(c:call("GET", STOCK)) or 0
  if stock < QUANTITY then
    c:call("UNWATCH")
    c:gave_up() -- raise OutOfStock()
    return
  end
  c:call("MULTI")
  c:call("DECRBY", STOCK, QUANTITY)
  c:call("SET", STATUS, "confirmed")
  if c:call("EXEC") ~= nil then c:committed(QUANTITY) else c:gave_up() end
end

local CONFIRMED, ALREADY, OUT_OF_STOCK = 1, 2, 3

-- The fix: look at the order under the WATCH, stop if it is confirmed; retry an abort.
local function confirm_checked(c, watched)
  local outcome = c:attempts(1 + c.params.retries, function()
    c:call("WATCH", unpack(watched))
    if c:call("GET", STATUS) == "confirmed" then
      c:call("UNWATCH")
      return ALREADY
    end
    local stock = tonumber(c:call("GET", STOCK)) or 0
    if stock < QUANTITY then
      c:call("UNWATCH")
      return OUT_OF_STOCK
    end
    c:call("MULTI")
    c:call("DECRBY", STOCK, QUANTITY)
    c:call("SET", STATUS, "confirmed")
    if c:call("EXEC") ~= nil then return CONFIRMED end
  end)
  if outcome == CONFIRMED then c:committed(QUANTITY) else c:gave_up() end
end

variant("as-printed", function(c) confirm_as_printed(c, { STOCK, STATUS }) end,
        { summary = "seed 004's multi-key WATCH listing as printed" })
variant("watch-stock-only", function(c) confirm_as_printed(c, { STOCK }) end,
        { summary = "the listing watching inventory:sku123 only" })
variant("status-check", function(c) confirm_checked(c, { STOCK, STATUS }) end,
        { summary = "the listing, reading the order's status under the WATCH; retried" })
variant("checked-stock-only", function(c) confirm_checked(c, { STOCK }) end,
        { summary = "status-check watching inventory:sku123 only" })

property("stock-once-per-order", "always", function(w)
  local stock = tonumber(w.keys[STOCK]) or 0
  if stock < 0 then return false, STOCK .. " = " .. stock .. " (negative)" end
  local taken = INITIAL - stock
  local confirmed = w.keys[STATUS] == "confirmed"
  local due = confirmed and QUANTITY or 0
  if taken ~= due then
    return false, "stock went down by " .. taken .. " for order 456 ("
      .. (confirmed and "confirmed" or "not confirmed") .. "): " .. due .. " due"
  end
  return true
end)

property("order-confirmed", "at-end", function(w)
  local status = w.keys[STATUS]
  return status == "confirmed", "order 456 is not confirmed (status " .. tostring(status) .. ")"
end)
