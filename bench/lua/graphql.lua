-- One wrk script for every HTTP workload. The harness writes a data file (BENCH_DATA) that
-- returns { path, marker, requests = { {auth, body}, ... } }; each request picks one uniformly.
-- A body may hold __KEY__, replaced by a key unique to this run (idempotency keys).
-- Each thread owns one connection (wrk -t c -c c), so the one request it has in flight when wrk
-- stops is known exactly: done() prints it, and the harness resolves it by replaying it with the
-- same idempotency key, as a client would after a cut connection.
-- Only answers that complete inside the measuring window [BENCH_FROM, BENCH_UNTIL] (CLOCK_MONOTONIC
-- seconds, the clock of Python's time.monotonic) count for throughput and latency: the warm-up before
-- it fills the pipeline, so slow requests are not under-counted at the start.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now()
   ffi.C.clock_gettime(1, ts)
   return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end
local window_from = tonumber(os.getenv("BENCH_FROM"))
local window_until = tonumber(os.getenv("BENCH_UNTIL"))
local data = dofile(os.getenv("BENCH_DATA"))
local run = os.getenv("BENCH_RUN")  -- unique per wrk invocation, so keys never repeat across runs
local threads = {}
local counter = 0
thread_id = 0
ok, bad, sent, received, window_ok = 0, 0, 0, 0, 0
latencies = {}
local sent_at = 0
pending, first_bad = "", ""

function setup(thread)
   thread:set("thread_id", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   math.randomseed(thread_id * 7919 + os.time())
end

function request()
   counter = counter + 1
   local r = data.requests[math.random(#data.requests)]
   local body = r[2]:gsub("__KEY__", run .. "-" .. thread_id .. "-" .. counter)
   local headers = { ["Content-Type"] = "application/json" }
   if r[1] ~= "" then headers["Authorization"] = "Bearer " .. r[1] end
   sent = sent + 1
   sent_at = now()
   pending = r[1] .. "\t" .. body
   return wrk.format("POST", data.path, headers, body)
end

function response(status, headers, body)
   received = received + 1
   pending = ""
   local t = now()
   if status == 200 and body:find(data.marker, 1, true) then
      ok = ok + 1
      if t >= window_from and t <= window_until then
         window_ok = window_ok + 1
         latencies[#latencies + 1] = t - sent_at
      end
   else
      bad = bad + 1
      if first_bad == "" then first_bad = status .. " " .. body:sub(1, 300) end
   end
end

local function esc(s)
   return (s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('\n', '\\n'):gsub('\t', '\\t'))
end

function done(summary, latency, requests)
   local t_ok, t_bad, t_sent, t_received, t_window, inflight, bads, all = 0, 0, 0, 0, 0, {}, {}, {}
   for _, t in ipairs(threads) do
      t_window = t_window + t:get("window_ok")
      for _, l in ipairs(t:get("latencies")) do all[#all + 1] = l end
      t_ok = t_ok + t:get("ok")
      t_bad = t_bad + t:get("bad")
      t_sent = t_sent + t:get("sent")
      t_received = t_received + t:get("received")
      local p = t:get("pending")
      if p ~= "" then table.insert(inflight, '"' .. esc(p) .. '"') end
      local b = t:get("first_bad")
      if b ~= "" and #bads < 3 then table.insert(bads, '"' .. esc(b) .. '"') end
   end
   table.sort(all)
   local function pct(p)
      if #all == 0 then return 0 end
      return all[math.max(1, math.min(#all, math.ceil(p / 100 * #all)))] * 1e6
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH-RESULT {"requests": %d, "duration_us": %d, "window_ok": %d, "ok": %d, "bad": %d, "sent": %d, "received": %d, '
      .. '"socket_errors": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, "inflight": [%s], "bad_samples": [%s]}\n',
      summary.requests, summary.duration, t_window, t_ok, t_bad, t_sent, t_received,
      e.connect + e.read + e.write + e.timeout, pct(50), pct(99), latency.mean,
      table.concat(inflight, ","), table.concat(bads, ",")))
end
