-- wrk script: POST pre-signed request bodies, one JSON document per line of BODIES_FILE,
-- each thread taking its own share of the lines so that no body is sent twice until the file
-- runs out (then they are replays, which the wallet answers from its idempotency records).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  bodies = {}
  for line in io.lines(os.getenv("BODIES_FILE")) do
    table.insert(bodies, line)
  end
  n = 0
  step = tonumber(os.getenv("WRK_THREADS") or "1")
end

function request()
  local i = (n * step + id) % #bodies + 1
  n = n + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[i])
end

function done(summary, latency, requests)
  io.write(string.format(
    "WRK {\"requests\": %d, \"seconds\": %.2f, \"non_2xx\": %d, \"p50_ms\": %.2f, \"p99_ms\": %.2f}\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
