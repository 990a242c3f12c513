-- wrk script of tools/bench/osmand.ts (`nx run tools:bench-osmand`): single-fix OsmAnd GETs, the form
-- Traccar Client sends, spread over the vehicles. Each wrk thread owns a disjoint block of vehicles and
-- numbers its fixes, one second apart per vehicle, so every (vehicle, timestamp) is unique and nothing
-- is deduplicated.
--
-- Arguments (after `--`): vehicles, threads, first timestamp (epoch seconds), identifier prefix.
-- Vehicle i's identifier is <prefix><i>, i from 0.

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
  per = math.floor(vehicles / threads)
  first = (tid - 1) * per
  seq = 0
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
