-- wrk script for bench/bench_replicas.py: posts Telegram updates of a 3-step form to one
-- webhook process, as Telegram would (one POST per update, the secret token header).
--   wrk -t1 -cC -d600s -s bench/replicas.lua URL -- INDEX PROCESSES USERS PER_USER SECRET RATE CONNECTIONS
-- This wrk posts for the users u with u % PROCESSES == INDEX (each user always reaches the same
-- process), all users' first message, then all their second, ... so one user's next message is
-- posted long after the 200 of the previous one (users per process >> connections).
-- Each text carries its send time (CLOCK_MONOTONIC, microseconds), echoed in the bot's reply,
-- so the stand-in Bot API measures POST -> reply. RATE > 0 paces this wrk (open loop, updates/s,
-- with delay()); 0 posts as fast as the connections allow (closed loop). After the last update it
-- stops once every POST is answered (requests made meanwhile are GET /done, not updates).
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local now = ffi.new("bench_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, now)
  return tonumber(now.tv_sec) * 1000000 + math.floor(tonumber(now.tv_nsec) / 1000)
end

local index, processes, users, per_user, rate, connections
local mine, total
issued, answered, accepted, refused = 0, 0, 0, 0 -- globals: done() reads them per thread
local started, slot = nil, 0
local post_headers = { ["Content-Type"] = "application/json" }
local DONE = nil

local function paced_delay()
  started = started or now_us()
  local due = started + slot * 1000000 / rate
  slot = slot + 1
  local wait = (due - now_us()) / 1000
  if wait < 0 then return 0 end
  return wait
end

function init(args)
  index, processes = tonumber(args[1]), tonumber(args[2])
  users, per_user = tonumber(args[3]), tonumber(args[4])
  post_headers["X-Telegram-Bot-Api-Secret-Token"] = args[5]
  rate, connections = tonumber(args[6]), tonumber(args[7])
  mine = math.floor((users - index + processes - 1) / processes)
  total = mine * per_user
  DONE = wrk.format("GET", "/done", {})
  if rate > 0 then
    slot = connections -- the first request of each connection goes at once
    delay = paced_delay
  end
end

local verified = false

function request()
  if not verified then -- wrk calls request() once after init() to check it, and drops it
    verified = true
    return DONE
  end
  if issued >= total then return DONE end
  local step = math.floor(issued / mine)
  local user = index + (issued % mine) * processes
  issued = issued + 1
  local id = 10000 + user
  local body = string.format(
    '{"update_id":%d,"message":{"message_id":%d,"date":1790000000,' ..
    '"chat":{"id":%d,"type":"private"},' ..
    '"from":{"id":%d,"is_bot":false,"first_name":"u","language_code":"en"},' ..
    '"text":"answer %d t=%d"}}',
    user * per_user + step + 1, step + 1, id, id, step, now_us())
  return wrk.format("POST", "/webhook", post_headers, body)
end

function response(status, headers, body)
  if status == 404 then return end -- GET /done
  answered = answered + 1
  if status == 200 then accepted = accepted + 1 else refused = refused + 1 end
  if answered >= total then wrk.thread:stop() end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    io.write(string.format('RESULT {"accepted": %d, "refused": %d, "posted": %d}\n',
      thread:get("accepted"), thread:get("refused"), thread:get("issued")))
  end
end
