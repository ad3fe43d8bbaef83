-- synfin_report.lua - one line per TCP connection, conn.log style.
--
--   tshark -q -r FILE -X lua_script:lua/synfin_report.lua            (TSV)
--   tshark -q -r FILE -X lua_script:lua/synfin_report.lua -X lua_script1:json
--   tshark -q -i lo -f 'tcp' -X lua_script:lua/synfin_report.lua     (live; printed at the end)
--
-- Reads the synfin plugin's fields through its "synfin" tap, so it needs the
-- plugin (synfin.so) to be loaded.  Columns: stream, originator and responder
-- (Zeek's orig/resp, with ports), conn_state and history (Zeek-compatible),
-- handshake RTT and duration in seconds, payload bytes and segments each way,
-- teardown initiator, final client and server states.

local args = { ... }
local want_json = false
for _, a in ipairs(args) do
    if a == "json" then want_json = true end
end

local ok, err = pcall(Field.new, "synfin.stream")
if not ok then
    error("synfin_report.lua: the synfin plugin is not loaded (" .. tostring(err) .. ")")
end

local f_stream    = Field.new("synfin.stream")
local f_state     = Field.new("synfin.conn.state")
local f_hist      = Field.new("synfin.conn.history")
local f_rtt       = Field.new("synfin.handshake.rtt")
local f_init      = Field.new("synfin.teardown.initiator")
local f_cstate    = Field.new("synfin.state.client")
local f_sstate    = Field.new("synfin.state.server")
local f_srcport   = Field.new("tcp.srcport")
local f_dstport   = Field.new("tcp.dstport")
local f_len       = Field.new("tcp.len")

local conns = {}
local order = {}
local last_frame = -1

local initiators = { [1] = "client", [2] = "server", [3] = "both" }
local state_names = { [0] = "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED",
                      "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT" }

-- The i-th of n values of a field that appears once per synfin tree; fields
-- that TCP adds to every layer are aligned from the innermost one.
local function nth(list, i, n)
    local off = #list - n
    return list[i + off]
end

local tap = Listener.new("synfin", nil, false)

function tap.packet(pinfo, tvb, tapinfo)
    -- The tap runs once per annotated TCP layer; read them all once per frame.
    if pinfo.number == last_frame then return end
    last_frame = pinfo.number

    local streams = { f_stream() }
    local n = #streams
    local states, hists = { f_state() }, { f_hist() }
    local cst, sst = { f_cstate() }, { f_sstate() }
    local sports, dports, lens = { f_srcport() }, { f_dstport() }, { f_len() }
    local rtts, inits = { f_rtt() }, { f_init() }
    local now = pinfo.abs_ts

    for i = 1, n do
        local id = streams[i].value
        local c = conns[id]
        local src, dst = tostring(pinfo.src), tostring(pinfo.dst)
        local sp, dp = nth(sports, i, n), nth(dports, i, n)
        sp = sp and sp.value or 0
        dp = dp and dp.value or 0
        if not c then
            c = { id = id, a = src, ap = sp, b = dst, bp = dp, first = now,
                  bytes = { 0, 0 }, pkts = { 0, 0 } }
            conns[id] = c
            order[#order + 1] = id
        end
        local from_a = (src == c.a and sp == c.ap) and 1 or 2
        local len = nth(lens, i, n)
        c.bytes[from_a] = c.bytes[from_a] + (len and len.value or 0)
        c.pkts[from_a] = c.pkts[from_a] + 1
        c.last = now
        if states[i] then c.state = states[i].value end
        if hists[i] then c.hist = hists[i].value end
        if cst[i] then c.cstate = state_names[cst[i].value] end
        if sst[i] then c.sstate = state_names[sst[i].value] end
        if n == 1 then
            if rtts[1] then c.rtt = rtts[1].value end
            if inits[1] then c.init = initiators[inits[1].value] end
        end
    end
end

local function seconds(v)
    if v == nil then return nil end
    if type(v) == "number" then return v end
    return v:tonumber()
end

local function fmt(v)
    if v == nil then return "-" end
    return string.format("%.6f", v)
end

local function json_string(s)
    s = tostring(s)
    s = s:gsub('[%c"\\]', function(ch)
        if ch == '"' then return '\\"' end
        if ch == "\\" then return "\\\\" end
        return string.format("\\u%04x", ch:byte())
    end)
    return '"' .. s .. '"'
end

function tap.draw()
    local cols = { "stream", "orig_h", "orig_p", "resp_h", "resp_p", "conn_state", "history",
                   "handshake_rtt", "duration", "orig_bytes", "resp_bytes", "orig_pkts",
                   "resp_pkts", "teardown_initiator", "client_state", "server_state" }
    if not want_json then print(table.concat(cols, "\t")) end
    table.sort(order)
    for _, id in ipairs(order) do
        local c = conns[id]
        -- Zeek's originator is the first sender unless the history has been
        -- flipped an odd number of times (every flip writes a "^").
        local o, r = 1, 2
        local oh, op, rh, rp = c.a, c.ap, c.b, c.bp
        local _, flips = string.gsub(c.hist or "", "%^", "")
        if flips % 2 == 1 then
            o, r = 2, 1
            oh, op, rh, rp = c.b, c.bp, c.a, c.ap
        end
        local dur = seconds(c.last) - seconds(c.first)
        local vals = { id, oh, op, rh, rp, c.state or "-", c.hist or "-",
                       seconds(c.rtt), dur, c.bytes[o], c.bytes[r], c.pkts[o], c.pkts[r],
                       c.init or "-", c.cstate or "-", c.sstate or "-" }
        if want_json then
            local parts = {}
            for k, name in ipairs(cols) do
                local v = vals[k]
                local s
                if v == nil then s = "null"
                elseif type(v) == "number" then
                    if name == "handshake_rtt" or name == "duration" then s = string.format("%.6f", v)
                    else s = string.format("%d", v) end
                else s = json_string(v) end
                parts[#parts + 1] = json_string(name) .. ":" .. s
            end
            print("{" .. table.concat(parts, ",") .. "}")
        else
            vals[8] = fmt(vals[8])
            vals[9] = fmt(vals[9])
            local out = {}
            for k = 1, #cols do out[k] = tostring(vals[k]) end
            print(table.concat(out, "\t"))
        end
    end
end

function tap.reset()
    conns, order, last_frame = {}, {}, -1
end
