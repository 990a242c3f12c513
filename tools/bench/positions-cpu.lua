-- wrk script of tools/bench/osmand-cpu.ts with --target=positions: single-position Fleet JSON
-- `POST /api/v1/positions` on the API's main port, each with its vehicle's device token (Bearer), as
-- bench-live's load sends them. Each wrk thread owns a disjoint block of vehicles and numbers its fixes,
-- one second apart per vehicle, so every (vehicle, timestamp) is unique; it stops after a fixed number
-- of answers and prints `thread done` (see osmand-cpu.lua).
--
-- Arguments (after `--`): vehicles, threads, first timestamp (epoch seconds), token file (one device
-- token a line, vehicle i's on line i + 1), answers per thread.

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function init(args)
  local vehicles = tonumber(args[1])
  local threads = tonumber(args[2])
  base = tonumber(args[3])
  limit = tonumber(args[5])
  per = math.floor(vehicles / threads)
  first = (tid - 1) * per
  tokens = {}
  for line in io.lines(args[4]) do
    tokens[#tokens + 1] = line
  end
  seq = 0
  answered = 0
end

function request()
  local v = first + seq % per
  local k = math.floor(seq / per)
  seq = seq + 1
  local body = string.format(
    '{"ts":"%s","lat":%.6f,"lon":%.6f,"speed":42,"heading":90}',
    os.date("!%Y-%m-%dT%H:%M:%SZ", base + k), 40.3 + (k % 5000) / 50000, -3.7 + v / 1000)
  return wrk.format("POST", "/api/v1/positions", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[v + 1],
  }, body)
end

function response(status, headers, body)
  answered = answered + 1
  if answered == limit then
    io.write("thread done\n")
    io.stdout:flush()
    wrk.thread:stop()
  end
end
