-- wrk script for scripts/bench-serve.sh: every request POSTs the same small PNG to /v1/predict.
-- The image's path comes from the environment (MNIST_BENCH_PNG).
local path = os.getenv("MNIST_BENCH_PNG")
local file = assert(io.open(path, "rb"), "cannot read " .. tostring(path))
wrk.method = "POST"
wrk.path = "/v1/predict"
wrk.body = file:read("*all")
wrk.headers["Content-Type"] = "image/png"
file:close()

-- Any answer but 200 is counted as an error: wrk's own summary counts only non-2xx/3xx.
local failures = 0
function response(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("bench: requests %d, seconds %.2f, requests/s %.0f, p50 %.2f ms, p99 %.2f ms, max %.2f ms, socket errors %d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
