-- synfin_report.lua - one line per TCP connection, conn.log style.
--
--   tshark -q -r FILE -X lua_script:lua/synfin_report.lua            (TSV)
--   tshark -q -r FILE -X lua_script:lua/synfin_report.lua -X lua_script1:json
--   tshark -q -i lo -f 'tcp' -X lua_script:lua/synfin_report.lua     (live; printed at the end)
--   Wireshark: Tools > synfin > Connection report (the same table in a window)
--
-- Reads the synfin plugin's fields through its "synfin" tap, so it needs the
-- plugin (synfin.so) to be loaded.  Columns: stream, originator and responder
-- (Zeek's orig/resp, with ports), conn_state and history (Zeek-compatible),
-- handshake RTT and duration in seconds, payload bytes and segments each way,
-- teardown initiator, final client and server states; then spec section 8:
-- the capture point (synfin.vantage) with the handshake split into
-- a = SYN to SYN-ACK (the server's side of the capture point) and b = SYN-ACK
-- to ACK 3/3 (the client's side), the half-close time (synfin.teardown.halfclose),
-- and, for a connection left open at the end of the capture, how long each
-- end had been in its final state by then.
--
-- Installed into a folder Wireshark loads Lua plugins from, this file runs in
-- every Wireshark program.  A copy loaded that way stays silent outside the
-- GUI (no fields, no taps, no output); in the GUI it adds the menu item.  A
-- copy named with -X lua_script: prints the report (docs/lua.md, "Auto-loading").

local SCRIPT = "synfin_report.lua"
local MODULE = "synfin_report"   -- the name 4.4 and later pass to a plugin-folder load

-- Shared by every copy of the synfin scripts in this Lua state.
local registry = rawget(_G, "synfin_lua")
if registry == nil then
    registry = { loaded_files = {} }
    rawset(_G, "synfin_lua", registry)
end

local function is_under(dir, root)
    if type(dir) ~= "string" or type(root) ~= "string" or root == "" then return false end
    root = root:gsub("/+$", "")
    return dir == root or dir:sub(1, #root + 1) == root .. "/"
end

-- True for a copy Wireshark found in a plugin folder by itself.  How such a
-- copy is run differs by release:
--   4.0       no arguments; the personal folders give it a file environment
--             (__FILE__), the global folder does not;
--   4.4, 4.6  like Lua's require: two arguments, the module name (the file
--             name without .lua) and the file's path, and no __FILE__.
-- -X scripts get __FILE__ and only the -X lua_scriptN: arguments, and are
-- loaded after all plugins, so a second load of the very same file is the
-- -X one.
local function loaded_automatically(...)
    local file, dir = __FILE__, __DIR__
    if file == nil then
        local name, path = ...
        if select("#", ...) == 2 and name == MODULE and type(path) == "string" then
            registry.loaded_files[path] = true
        end
        return true
    end
    local first_load = not registry.loaded_files[file]
    registry.loaded_files[file] = true
    return first_load and (is_under(dir, Dir.personal_plugins_path()) or
                           is_under(dir, Dir.personal_config_path("plugins")))
end

local automatic = loaded_automatically(...)
local gui = gui_enabled()

-- Outside the GUI an automatically loaded copy must cost nothing: a Lua
-- field extractor or tap would make every tshark run build protocol trees.
if automatic and not gui then return end

-- The user's arguments (-X lua_scriptN:) exist only for a -X copy; what a
-- plugin-folder load is handed (4.4 and later: module name and path) is not
-- an argument.
local args = automatic and {} or { ... }
local want_json = false
for _, a in ipairs(args) do
    if a == "json" then
        want_json = true
    else
        io.stderr:write(string.format("%s: unknown argument %q (the only one is \"json\")\n", SCRIPT, a))
        os.exit(2)
    end
end

-- The newest copy's window function serves the menu (a -X copy replaces an
-- installed one); the menu item is registered once.
local function serve_menu(window)
    registry.report_window = window
    if not registry.report_menu then
        registry.report_menu = true
        register_menu("synfin/Connection report", function() registry.report_window() end,
                      MENU_TOOLS_UNSORTED)
    end
end

if not pcall(Field.new, "synfin.stream") then
    if not gui then
        io.stderr:write(SCRIPT .. ": the synfin plugin (synfin.so) is not loaded; see `tshark -G plugins`\n")
        os.exit(2)
    end
    -- GUI without the plugin: the menu item says so.
    serve_menu(function()
        TextWindow.new("synfin report"):set("The synfin plugin (synfin.so) is not loaded.\n")
    end)
    return
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
-- spec section 8 (a plugin without them still gets the other columns)
local function optional_field(name)
    local ok, f = pcall(Field.new, name)
    return ok and f or nil
end
local f_vantage   = optional_field("synfin.vantage")
local f_hstime    = optional_field("synfin.handshake.time")
local f_halfclose = optional_field("synfin.teardown.halfclose")
local function values(f)
    if f == nil then return {} end
    return { f() }
end

local function seconds(v)
    if v == nil then return nil end
    if type(v) == "number" then return v end
    return v:tonumber()
end

local conns = {}
local order = {}
local last_frame = -1
local capture_end = nil   -- latest capture time of a synfin segment (spec 8.4's "end")

local initiators = { [1] = "client", [2] = "server", [3] = "both" }
-- A state field's name as the plugin shows it (its value_string, built from
-- the engine's list): the display text, whether it reads "ESTABLISHED",
-- "ESTABLISHED (4)" or "Client state: ESTABLISHED (4)".
local function state_text(fi)
    local text = fi.display or ""
    return text:match("([%u%d_]+) %(%d+%)$") or text:match("^([%u%d_]+)$") or tostring(fi.value)
end

-- A value_string field's name (e.g. synfin.vantage "near the client") from
-- its display text, "near the client (1)" or "Capture point: near the client (1)".
local function value_text(fi)
    local text = fi.display or ""
    text = text:gsub("^[^:]*: ", "")
    return text:match("^(.-) %(%d+%)$") or text
end

-- The i-th of n values of a field that appears once per synfin tree; fields
-- that TCP adds to every layer are aligned from the innermost one.
local function nth(list, i, n)
    local off = #list - n
    return list[i + off]
end

local function collect(pinfo)
    -- The tap runs once per annotated TCP layer; read them all once per frame.
    if pinfo.number == last_frame then return end
    last_frame = pinfo.number

    local streams = { f_stream() }
    local n = #streams
    local states, hists = { f_state() }, { f_hist() }
    local cst, sst = { f_cstate() }, { f_sstate() }
    local sports, dports, lens = { f_srcport() }, { f_dstport() }, { f_len() }
    local rtts, inits = { f_rtt() }, { f_init() }
    local vants, hstimes, halfs = values(f_vantage), values(f_hstime), values(f_halfclose)
    local now = pinfo.abs_ts
    if capture_end == nil or seconds(now) > seconds(capture_end) then capture_end = now end

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
        -- spec 8.4: when each end entered the state it is in (the segment
        -- whose snapshot first shows it)
        if cst[i] then
            local t = state_text(cst[i])
            if t ~= c.cstate then c.cstate, c.csince = t, now end
        end
        if sst[i] then
            local t = state_text(sst[i])
            if t ~= c.sstate then c.sstate, c.ssince = t, now end
        end
        if n == 1 then
            if rtts[1] then c.rtt = rtts[1].value end
            if inits[1] then c.init = initiators[inits[1].value] end
            if vants[1] then c.vantage = vants[1].value; c.vantage_text = value_text(vants[1]) end
            if hstimes[1] then c.hstime = hstimes[1].value end
            if halfs[1] then c.halfclose = halfs[1].value end
        end
    end
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

-- The report as lines: a header and one TSV row per connection, or JSON lines.
local function report_lines(json)
    local out = {}
    local cols = { "stream", "orig_h", "orig_p", "resp_h", "resp_p", "conn_state", "history",
                   "handshake_rtt", "duration", "orig_bytes", "resp_bytes", "orig_pkts",
                   "resp_pkts", "teardown_initiator", "client_state", "server_state",
                   "vantage", "hs_a_server_side", "hs_b_client_side", "halfclose",
                   "client_state_for", "server_state_for" }
    local timecol = { handshake_rtt = true, duration = true, hs_a_server_side = true,
                      hs_b_client_side = true, halfclose = true, client_state_for = true,
                      server_state_for = true }
    if not json then out[#out + 1] = table.concat(cols, "\t") end
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
        -- spec 8.5: a and b only where the capture point is known (the
        -- plugin's rule: first transmissions, the handshake seen whole)
        local a, b
        if c.vantage and c.vantage ~= 0 and c.rtt and c.hstime then
            a = seconds(c.rtt)
            b = seconds(c.hstime) - a
        end
        -- spec 8.4: left open = not both ends CLOSED or TIME_WAIT
        local cfor, sfor
        local closed = { CLOSED = true, TIME_WAIT = true }
        if c.cstate and c.sstate and not (closed[c.cstate] and closed[c.sstate]) then
            cfor = seconds(capture_end) - seconds(c.csince)
            sfor = seconds(capture_end) - seconds(c.ssince)
        end
        local vals = { id, oh, op, rh, rp, c.state or "-", c.hist or "-",
                       seconds(c.rtt), dur, c.bytes[o], c.bytes[r], c.pkts[o], c.pkts[r],
                       c.init or "-", c.cstate or "-", c.sstate or "-",
                       c.vantage_text or "-", a, b, seconds(c.halfclose), cfor, sfor }
        if json then
            local parts = {}
            for k, name in ipairs(cols) do
                local v = vals[k]
                local s
                if v == nil then s = "null"
                elseif type(v) == "number" then
                    if timecol[name] then s = string.format("%.6f", v)
                    else s = string.format("%d", v) end
                else s = json_string(v) end
                parts[#parts + 1] = json_string(name) .. ":" .. s
            end
            out[#out + 1] = "{" .. table.concat(parts, ",") .. "}"
        else
            local row = {}
            for k = 1, #cols do
                if timecol[cols[k]] then row[k] = fmt(vals[k]) else row[k] = tostring(vals[k]) end
            end
            out[#out + 1] = table.concat(row, "\t")
        end
    end
    return out
end

local function reset()
    conns, order, last_frame, capture_end = {}, {}, -1, nil
end

------------------------------------------------------------------------------
-- tshark: print at the end of the run.

if not gui then
    local tap = Listener.new("synfin", nil, false)
    function tap.packet(pinfo) collect(pinfo) end
    function tap.reset() reset() end
    function tap.draw()
        for _, l in ipairs(report_lines(want_json)) do print(l) end
    end
    return
end

------------------------------------------------------------------------------
-- The GUI: Tools > synfin > Connection report, the TSV table with its columns
-- padded to line up.

local function aligned(lines)
    local rows, widths = {}, {}
    for i, l in ipairs(lines) do
        local cells = {}
        for c in (l .. "\t"):gmatch("([^\t]*)\t") do cells[#cells + 1] = c end
        rows[i] = cells
        for k, c in ipairs(cells) do widths[k] = math.max(widths[k] or 0, #c) end
    end
    local out = {}
    for i, cells in ipairs(rows) do
        for k, c in ipairs(cells) do
            if k < #cells then cells[k] = c .. string.rep(" ", widths[k] - #c) end
        end
        out[i] = table.concat(cells, "  ")
    end
    return out
end

local function report_window()
    local win = TextWindow.new("synfin report")
    local tap = Listener.new("synfin", nil, false)
    function tap.packet(pinfo) collect(pinfo) end
    function tap.reset() reset() end
    reset()
    local paused = registry.selection
    if paused then paused.paused = true end
    local ok, err = pcall(retap_packets)
    if paused then paused.paused = false end
    tap:remove()
    if not ok then
        win:set("Could not read the packets: " .. tostring(err) .. "\n")
        return
    end
    local lines = report_lines(false)
    if #lines < 2 then
        win:set("No TCP connections with synfin annotations in this capture.\n")
        return
    end
    win:set(table.concat(aligned(lines), "\n") .. "\n")
    win:add_button("Copy as TSV", function() copy_to_clipboard(table.concat(lines, "\n") .. "\n") end)
end

serve_menu(report_window)
