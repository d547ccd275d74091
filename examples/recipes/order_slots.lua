-- Seed 004, "Watch multiple keys for atomic updates across them", and its cluster note ("All
-- watched keys must be in the same slot. Use hash tags to co-locate"): two clients confirm
-- order 456 (a retried request), stock 1. Each attempt: WATCH the stock and the order status,
-- GET the stock, UNWATCH and stop if it is out, else MULTI, DECRBY stock 1, SET status
-- confirmed, EXEC; retried once when EXEC returns nil. Properties: the order ends confirmed,
-- and the stock never goes negative.
--   seed-keys (inventory:sku123, order:456:status): holds on one server; with --cluster the
--     two keys lie in slots 5242 and 9813: WATCH and EXEC get CROSSSLOT, every attempt
--     fails and the order is never confirmed (order-confirmed VIOLATED)
--   hash-tagged (inventory:{sku123}, order:{sku123}:456, both slot 5949): holds either way
-- Run: cargo run --release -- check examples/recipes/order_slots.lua --cluster
scenario { name = "order-slots", keys = { ["inventory:sku123"] = "1", ["inventory:{sku123}"] = "1" },
           clients = 2, params = { retries = 1 }, faults = { "none", "crash" },
           properties = { "order-confirmed", "stock-never-negative" } }

local function confirm(stock, status)
  return function(c)
    local outcome = c:attempts(c.params.retries + 1, function()
      c:call("WATCH", stock, status)
      if (tonumber(c:call("GET", stock)) or 0) < 1 then
        c:call("UNWATCH")
        return 2 -- OutOfStock
      end
      c:call("MULTI")
      c:call("DECRBY", stock, 1)
      c:call("SET", status, "confirmed")
      local r = c:call("EXEC")
      if r ~= nil and not c.is_error(r) then
        c:committed(1)
        return true
      end
    end)
    if not outcome then c:gave_up() end
  end
end

variant("seed-keys", confirm("inventory:sku123", "order:456:status"))
variant("hash-tagged", confirm("inventory:{sku123}", "order:{sku123}:456"))

property("order-confirmed", "at-end", function(w)
  if w.clients[1].crashed or w.clients[2].crashed then return true end
  local s = w.keys["order:456:status"] or w.keys["order:{sku123}:456"]
  return s == "confirmed", "the order is not confirmed (status " .. tostring(s) .. ")"
end)

property("stock-never-negative", "always", function(w)
  for _, k in ipairs({ "inventory:sku123", "inventory:{sku123}" }) do
    if (tonumber(w.keys[k]) or 0) < 0 then return false, k .. " = " .. w.keys[k] end
  end
  return true
end)
