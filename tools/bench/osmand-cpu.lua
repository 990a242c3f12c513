-- wrk script of tools/bench/osmand-cpu.ts (`nx run tools:bench-osmand-cpu`): the same single-fix OsmAnd
-- GETs as osmand.lua, but each thread stops after a fixed number of answers, so a run is a fixed
-- amount of work however fast or slow the shared machine is. A stopped thread prints `thread done`;
-- wrk itself waits out its -d, so the script interrupts it (SIGINT: wrk then prints its summary) once
-- every thread has.
--
-- Arguments (after `--`): vehicles, threads, first timestamp (epoch seconds), identifier prefix,
-- answers per thread. Vehicle i's identifier is <prefix><i>, i from 0.

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function init(args)
  local vehicles = tonumber(args[1])
  local threads = tonumber(args[2])
  base = tonumber(args[3])
  prefix = args[4]
  limit = tonumber(args[5])
  per = math.floor(vehicles / threads)
  first = (tid - 1) * per
  seq = 0
  answered = 0
end

function request()
  local v = first + seq % per
  local k = math.floor(seq / per)
  seq = seq + 1
  local path = string.format(
    "/?id=%s%d&timestamp=%d&lat=%.6f&lon=%.6f&speed=22.7&bearing=90&altitude=650&accuracy=5&batt=80",
    prefix, v, base + k, 40.3 + (k % 5000) / 50000, -3.7 + v / 1000)
  return wrk.format("GET", path)
end

function response(status, headers, body)
  answered = answered + 1
  if answered == limit then
    io.write("thread done\n")
    io.stdout:flush()
    wrk.thread:stop()
  end
end
