-- One wrk script for every HTTP workload. The harness writes a data file (BENCH_DATA) that
-- returns { path, marker, requests = { {auth, body}, ... } }; each request picks one uniformly.
-- A body may hold __KEY__, replaced by a key unique to this run (idempotency keys).
-- Each thread owns one connection (wrk -t c -c c), so the one request it has in flight when wrk
-- stops is known exactly: done() prints it, and the harness resolves it by replaying it with the
-- same idempotency key, as a client would after a cut connection.
local data = dofile(os.getenv("BENCH_DATA"))
local run = os.getenv("BENCH_RUN")  -- unique per wrk invocation, so keys never repeat across runs
local threads = {}
local counter = 0
thread_id = 0
ok, bad, sent, received = 0, 0, 0, 0
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
   pending = r[1] .. "\t" .. body
   return wrk.format("POST", data.path, headers, body)
end

function response(status, headers, body)
   received = received + 1
   pending = ""
   if status == 200 and body:find(data.marker, 1, true) then
      ok = ok + 1
   else
      bad = bad + 1
      if first_bad == "" then first_bad = status .. " " .. body:sub(1, 300) end
   end
end

local function esc(s)
   return (s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('\n', '\\n'):gsub('\t', '\\t'))
end

function done(summary, latency, requests)
   local t_ok, t_bad, t_sent, t_received, inflight, bads = 0, 0, 0, 0, {}, {}
   for _, t in ipairs(threads) do
      t_ok = t_ok + t:get("ok")
      t_bad = t_bad + t:get("bad")
      t_sent = t_sent + t:get("sent")
      t_received = t_received + t:get("received")
      local p = t:get("pending")
      if p ~= "" then table.insert(inflight, '"' .. esc(p) .. '"') end
      local b = t:get("first_bad")
      if b ~= "" and #bads < 3 then table.insert(bads, '"' .. esc(b) .. '"') end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH-RESULT {"requests": %d, "duration_us": %d, "ok": %d, "bad": %d, "sent": %d, "received": %d, '
      .. '"socket_errors": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, "inflight": [%s], "bad_samples": [%s]}\n',
      summary.requests, summary.duration, t_ok, t_bad, t_sent, t_received,
      e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99), latency.mean,
      table.concat(inflight, ","), table.concat(bads, ",")))
end
