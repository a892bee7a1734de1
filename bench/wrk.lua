-- One benchmark row for wrk: the request comes from environment variables, the result is one JSON
-- line on stdout (read by bench/run.py).
--   BENCH_TOKEN        bearer token (optional)
--   BENCH_METHOD       GET (default), POST, DELETE ...
--   BENCH_BODY         JSON body; "{n}" is replaced by a per-thread counter (unique texts)
--   BENCH_ALTERNATE    a second "METHOD PATH" to alternate with the first (like/unlike)
local token = os.getenv("BENCH_TOKEN")
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local alternate = os.getenv("BENCH_ALTERNATE")
local counter = 0

local headers = { ["Accept"] = "application/json" }
if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
if body and body ~= "" then headers["Content-Type"] = "application/json" end

local alt_method, alt_path
if alternate and alternate ~= "" then
  alt_method, alt_path = alternate:match("^(%S+)%s+(%S+)$")
end

function setup(thread)
  thread:set("id", tostring(thread))
end

request = function()
  counter = counter + 1
  if alt_method and counter % 2 == 0 then
    return wrk.format(alt_method, alt_path, headers, nil)
  end
  local payload = nil
  if body and body ~= "" then
    payload = body:gsub("{n}", tostring(counter) .. "-" .. tostring(math.random(1, 1000000000)))
  end
  return wrk.format(method, nil, headers, payload)
end

done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx_3xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
