-- POST /api/v1/checkout (or /checkout/quote) with a fresh receipt_id per request and a random
-- seeded customer, by phone (local format) or by id. Driven by bench/checkout.py through env:
--   BENCH_KEY        the API key
--   BENCH_CUSTOMERS  a file, one "phone id" pair a line
--   BENCH_PREFIX     makes receipt_ids unique across runs
--   BENCH_OUT        where done() writes a JSON summary
--   BENCH_IDS        where done() writes the receipt_id of every 2xx response, one a line

local customers = {}
for line in io.lines(os.getenv("BENCH_CUSTOMERS")) do
  local phone, id = line:match("^(%S+) (%S+)$")
  customers[#customers + 1] = {phone, id}
end

local key = os.getenv("BENCH_KEY")
local prefix = os.getenv("BENCH_PREFIX")
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  n = 0
  statuses = {}
  ok_ids = {}
  math.randomseed(id * 7919 + os.time())
  wrk.headers["Authorization"] = "Bearer " .. key
  wrk.headers["Content-Type"] = "application/json"
end

local lines = '[{"sku":"CAKE-01","name":"Strawberry cake","category":"cake","quantity":2,' ..
  '"unit_price":4500},{"sku":"TEA-01","name":"Milk tea","category":"drink","quantity":1,' ..
  '"unit_price":1800}]'

function request()
  n = n + 1
  local c = customers[math.random(#customers)]
  local who
  if n % 2 == 0 then
    who = '{"phone":"' .. c[1] .. '"}'
  else
    who = '{"id":"' .. c[2] .. '"}'
  end
  local body = '{"receipt_id":"' .. prefix .. "-" .. id .. "-" .. n .. '","customer":' .. who ..
    ',"lines":' .. lines .. '}'
  return wrk.format("POST", nil, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 200 and status < 300 then
    local rid = body:match('"receipt_id":"([^"]+)"')
    if rid then ok_ids[#ok_ids + 1] = rid end
  end
end

function done(summary, latency, requests)
  local counts = {}
  local ids = io.open(os.getenv("BENCH_IDS"), "w")
  for _, t in ipairs(threads) do
    for status, count in pairs(t:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
    for _, rid in ipairs(t:get("ok_ids")) do ids:write(rid, "\n") end
  end
  ids:close()
  local parts = {}
  for status, count in pairs(counts) do
    parts[#parts + 1] = string.format('"%d":%d', status, count)
  end
  local e = summary.errors
  local out = io.open(os.getenv("BENCH_OUT"), "w")
  out:write(string.format(
    '{"duration_us":%d,"requests":%d,"statuses":{%s},"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.duration, summary.requests, table.concat(parts, ","),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
  out:close()
end
