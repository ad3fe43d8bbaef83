-- synfin_ladder.lua - a TCP connection drawn as a ladder diagram: client and
-- server timelines, one arrow per segment with the synfin step label, flags,
-- relative seq/ack and length, both ends' states after the segment, and the
-- segments synfin-inject sent marked with "*".
--
--   Wireshark: Tools > synfin > Ladder diagram (the selected packet's stream,
--              else a stream named in the display filter, else it asks)
--              Tools > synfin > Ladder diagram of stream... (always asks)
--   tshark:    tshark -q -r FILE -X lua_script:synfin_ladder.lua -X lua_script1:STREAM
--              (STREAM = a tcp.stream number, or "all" / nothing for every stream)
--
-- One renderer (render_ladder) makes the text for both, so they cannot
-- disagree.  Needs the synfin plugin (synfin.so); reads only its fields.
--
-- Installed into a folder Wireshark loads Lua plugins from, this file runs in
-- every Wireshark program.  A copy loaded that way stays silent outside the
-- GUI (no fields, no taps, no output); in the GUI it adds the menu items.  A
-- copy named with -X lua_script: does the work, whether or not an installed
-- copy was loaded before it (docs/lua.md, "Auto-loading").

local SCRIPT = "synfin_ladder.lua"
local MODULE = "synfin_ladder"   -- the name 4.4 and later pass to a plugin-folder load

------------------------------------------------------------------------------
-- How was this copy loaded?

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

-- A clear one-line error, then exit (tshark) or an error window (GUI).
local function fatal(msg, status)
    io.stderr:write(SCRIPT .. ": " .. msg .. "\n")
    io.stderr:flush()
    io.stdout:flush()
    os.exit(status or 1)
end

------------------------------------------------------------------------------
-- Field extractors (they must exist before any packet is dissected).

if not pcall(Field.new, "synfin.stream") then
    if gui then
        -- No plugin: say so when the menu is used rather than at start-up.
        registry.ladder_missing_plugin = true
    else
        fatal("the synfin plugin (synfin.so) is not loaded; see `tshark -G plugins`", 2)
    end
end

local have_plugin = not registry.ladder_missing_plugin
local extractors = {}
if have_plugin then
    for _, name in ipairs({ "frame.time", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
                            "tcp", "tcp.srcport", "tcp.dstport", "tcp.stream", "tcp.len", "tcp.flags",
                            "synfin", "synfin.stream", "synfin.role", "synfin.role_guessed",
                            "synfin.label", "synfin.state.client", "synfin.state.server",
                            "synfin.seq.rel", "synfin.ack.rel" }) do
        extractors[name] = Field.new(name)
    end
    -- Newer field: a plugin without it still gets a ladder, without marks.
    local ok, f = pcall(Field.new, "synfin.injected")
    if ok then extractors["synfin.injected"] = f end
end

------------------------------------------------------------------------------
-- Collecting segments.

-- A state field's name as the plugin shows it (its value_string, built from
-- the engine's list): the display text, whether it reads "ESTABLISHED",
-- "ESTABLISHED (4)" or "Client state: ESTABLISHED (4)".
local function state_text(fi)
    local text = fi.display or ""
    return text:match("([%u%d_]+) %(%d+%)$") or text:match("^([%u%d_]+)$") or tostring(fi.value)
end

-- TCP flag bits and their letters, in the order they are printed.
local FLAG_LETTERS = { { 0x002, "S" }, { 0x001, "F" }, { 0x004, "R" }, { 0x008, "P" },
                       { 0x010, "A" }, { 0x020, "U" }, { 0x040, "E" }, { 0x080, "C" },
                       { 0x100, "N" } }

local function flag_letters(v)
    local out = {}
    for _, f in ipairs(FLAG_LETTERS) do
        if v % (2 * f[1]) >= f[1] then out[#out + 1] = f[2] end
    end
    return table.concat(out)
end

-- A new collection of segments by stream (want = a stream number, or nil for all).
local function new_collection(want)
    return { want = want, streams = {}, order = {} }
end

-- The frame's fields in tree order: one group per TCP layer (with the IP
-- addresses seen before it) and one per synfin subtree, so that frames with
-- several TCP layers (tunnels) pair each synfin subtree with its own layer.
local function frame_layers()
    local tcps, sfs = {}, {}
    local tcp, sf
    local src, dst, time
    for _, fi in ipairs({ all_field_infos() }) do
        local name = fi.name
        if name == "frame.time" then
            time = time or fi.value
        elseif name == "ip.src" or name == "ipv6.src" then
            src = tostring(fi.value)
        elseif name == "ip.dst" or name == "ipv6.dst" then
            dst = tostring(fi.value)
        elseif name == "tcp" or (name == "tcp.srcport" and (tcp == nil or tcp.sport ~= nil)) then
            tcp = { src = src, dst = dst }
            tcps[#tcps + 1] = tcp
            if name == "tcp.srcport" then tcp.sport = fi.value end
        elseif tcp and name:sub(1, 4) == "tcp." then
            local key = ({ ["tcp.srcport"] = "sport", ["tcp.dstport"] = "dport", ["tcp.stream"] = "stream",
                           ["tcp.len"] = "len", ["tcp.flags"] = "flags" })[name]
            -- First value wins: an outer layer's items after its payload stay out.
            if key and tcp[key] == nil then tcp[key] = fi.value end
        elseif name == "synfin" or (name == "synfin.stream" and (sf == nil or sf.stream ~= nil)) then
            sf = {}
            sfs[#sfs + 1] = sf
            if name == "synfin.stream" then sf.stream = fi.value end
        elseif sf and name:sub(1, 7) == "synfin." then
            local key = ({ ["synfin.stream"] = "stream", ["synfin.role"] = "role",
                           ["synfin.role_guessed"] = "guessed", ["synfin.label"] = "label",
                           ["synfin.state.client"] = "cst", ["synfin.state.server"] = "sst",
                           ["synfin.seq.rel"] = "seq", ["synfin.ack.rel"] = "ack",
                           ["synfin.injected"] = "injected" })[name]
            if key and sf[key] == nil then
                sf[key] = (key == "cst" or key == "sst") and state_text(fi) or fi.value
            end
        end
    end
    return time, tcps, sfs
end

local function collect_frame(coll, pinfo)
    local time, tcps, sfs = frame_layers()
    for _, sf in ipairs(sfs) do
        local id = sf.stream
        if id ~= nil and (coll.want == nil or id == coll.want) then
            local tcp = {}
            for _, t in ipairs(tcps) do
                if t.stream == id then tcp = t break end
            end
            local st = coll.streams[id]
            if st == nil then
                st = { id = id, segs = {} }
                coll.streams[id] = st
                coll.order[#coll.order + 1] = id
            end
            local role = sf.role
            if st.client == nil and tcp.src and tcp.sport and (role == 1 or role == 2) then
                if role == 1 then
                    st.client, st.server = { tcp.src, tcp.sport }, { tcp.dst, tcp.dport }
                else
                    st.client, st.server = { tcp.dst, tcp.dport }, { tcp.src, tcp.sport }
                end
            end
            if sf.guessed then st.guessed = true end
            st.segs[#st.segs + 1] = {
                frame = pinfo.number, time = time, role = role, label = sf.label,
                cst = sf.cst, sst = sf.sst, seq = sf.seq, ack = sf.ack,
                injected = sf.injected and true or false,
                flags = tcp.flags, len = tcp.len,
            }
        end
    end
end

------------------------------------------------------------------------------
-- The renderer: one collected stream -> text lines.

local LEGEND = {
    "legend: *       segment sent by synfin-inject (synfin.injected)",
    "        time    seconds since the stream's first segment",
    "        seq/ack relative to each side's ISN (synfin.seq.rel, synfin.ack.rel)",
    "        states  each end's state after the segment (client left, server right)",
    "        flags   S SYN, F FIN, R RST, P PSH, A ACK, U URG, E ECE, C CWR, N AE",
}

local function seconds_between(a, b)
    if a == nil or b == nil then return nil end
    return (b.secs - a.secs) + (b.nsecs - a.nsecs) / 1e9
end

local function endpoint_text(ep)
    if ep == nil then return "?" end
    local addr = tostring(ep[1])
    if addr:find(":", 1, true) then addr = "[" .. addr .. "]" end
    return addr .. ":" .. tostring(ep[2])
end

local function state_name(text)
    return text or "?"
end

local function arrow_text(s)
    local parts = { s.label or "?" }
    if s.flags then parts[#parts + 1] = "[" .. flag_letters(s.flags) .. "]" end
    if s.seq then parts[#parts + 1] = "seq=" .. s.seq end
    if s.ack then parts[#parts + 1] = "ack=" .. s.ack end
    parts[#parts + 1] = "len=" .. (s.len or "?")
    return table.concat(parts, " ")
end

-- Column layout (widths in characters):
--   frame(6, right-aligned) mark(1) " " time(9) "  " client state(12) " |" arrow(W) "| " server state
local STATE_W = 12

local function render_ladder(st)
    local lines = {}
    local segs = st.segs
    local texts, width = {}, 30
    for i, s in ipairs(segs) do
        texts[i] = arrow_text(s)
        width = math.max(width, #texts[i] + 8)
    end
    local left_pad = 6 + 1 + 1 + 9 + 2 + STATE_W + 1   -- up to the client timeline
    local dur = seconds_between(segs[1] and segs[1].time, segs[#segs] and segs[#segs].time)
    lines[#lines + 1] = string.format("synfin ladder: stream %d, %d segment%s, %s s%s", st.id, #segs,
        #segs == 1 and "" or "s", dur and string.format("%.6f", dur) or "?",
        st.guessed and " (roles guessed: the handshake was not captured)" or "")
    local ctext = "client " .. endpoint_text(st.client)
    local stext = "server " .. endpoint_text(st.server)
    local gap = math.max(1, width + 1 - #ctext)
    lines[#lines + 1] = string.rep(" ", left_pad) .. ctext .. string.rep(" ", gap) .. stext
    lines[#lines + 1] = string.format("%6s  %9s  %-" .. STATE_W .. "s |%s|  %s", "frame", "time",
        "client", string.rep(" ", width), "server")
    for i, s in ipairs(segs) do
        local text = texts[i]
        local room = width - 1 - #text - 2       -- one arrow head, a space each side
        local left = math.floor(room / 2)
        local right = room - left
        local arrow
        if s.role == 2 then
            arrow = "<" .. string.rep("-", left) .. " " .. text .. " " .. string.rep("-", right)
        elseif s.role == 1 then
            arrow = string.rep("-", left) .. " " .. text .. " " .. string.rep("-", right) .. ">"
        else
            arrow = string.rep("?", left) .. " " .. text .. " " .. string.rep("?", right + 1)
        end
        local t = seconds_between(segs[1].time, s.time)
        lines[#lines + 1] = string.format("%6d%s %9s  %-" .. STATE_W .. "s |%s|  %s", s.frame,
            s.injected and "*" or " ", t and string.format("%.6f", t) or "?",
            state_name(s.cst), arrow, state_name(s.sst))
    end
    return lines
end

-- Every collected stream (by stream number), then the legend.
local function render_collection(coll)
    local out = {}
    table.sort(coll.order)
    for k, id in ipairs(coll.order) do
        if k > 1 then out[#out + 1] = "" end
        for _, l in ipairs(render_ladder(coll.streams[id])) do out[#out + 1] = l end
    end
    if #coll.order > 0 then
        out[#out + 1] = ""
        for _, l in ipairs(LEGEND) do out[#out + 1] = l end
    end
    return out
end

local function listener_filter(want)
    if want == nil then return "synfin" end
    return "synfin.stream == " .. want
end

------------------------------------------------------------------------------
-- tshark (and any other program without the GUI): -X lua_script1:STREAM

local function parse_stream_arg(a)
    a = tostring(a):match("^%s*(.-)%s*$")
    if a == "" or a == "all" then return true, nil end
    if a:match("^%d+$") and #a <= 10 and tonumber(a) <= 4294967295 then return true, tonumber(a) end
    return false, nil
end

if not gui then
    if #args > 1 then
        fatal("expected one argument (a tcp.stream number or \"all\"), got " .. #args, 2)
    end
    local ok, want = parse_stream_arg(args[1] or "")
    if not ok then
        fatal(string.format("%q is not a stream number (use a tcp.stream number such as 0, or \"all\")",
                            tostring(args[1])), 2)
    end
    local coll = new_collection(want)
    local tap = Listener.new("frame", listener_filter(want), false)
    function tap.packet(pinfo) collect_frame(coll, pinfo) end
    function tap.reset() coll = new_collection(want) end
    function tap.draw()
        if want ~= nil and coll.streams[want] == nil then
            fatal(string.format("stream %d has no TCP segments in this capture", want), 1)
        end
        if #coll.order == 0 then
            print("synfin ladder: no TCP segments in this capture")
            return
        end
        for _, l in ipairs(render_collection(coll)) do print(l) end
    end
    return
end

------------------------------------------------------------------------------
-- The GUI: menu items, a TextWindow per ladder.

-- The stream of the packet shown in the packet details: the GUI dissects the
-- selected packet (and a packet opened in its own window) with a visible
-- tree, the packet list, colouring and retaps without one.  One tracker for
-- all copies; it is reset when a new file is opened.
if registry.selection == nil and have_plugin then
    registry.selection = { stream = nil, frame = nil, paused = false }
    local sel = registry.selection
    local f_tcp_stream = extractors["tcp.stream"]
    local tracker = Proto("synfin_ladder_sel", "synfin ladder: selected stream")
    function tracker.dissector(tvb, pinfo, tree)
        if sel.paused or not tree.visible then return end
        -- The innermost TCP layer (an ICMP error: the connection it quotes).
        local all = { f_tcp_stream() }
        if #all > 0 then
            sel.stream, sel.frame = all[#all].value, pinfo.number
        end
    end
    function tracker.init()
        sel.stream, sel.frame = nil, nil
    end
    register_postdissector(tracker)
end

-- The stream the display filter names ("tcp.stream eq 3", "tcp.stream == 3",
-- "synfin.stream==3"), when it names exactly one.
local function stream_in_filter()
    local ok, f = pcall(get_filter)
    if not ok or type(f) ~= "string" then return nil end
    local found
    for _, pat in ipairs({ "([%w_.]+)%.stream%s*==%s*(%d+)", "([%w_.]+)%.stream%s+eq%s+(%d+)" }) do
        for field, n in f:gmatch(pat) do
            if field == "tcp" or field == "synfin" then
                n = tonumber(n)
                if found ~= nil and found ~= n then return nil end
                found = n
            end
        end
    end
    return found
end

local function ladder_window(want)
    local title = "synfin ladder: stream " .. tostring(want)
    local win = TextWindow.new(title)
    if not have_plugin then
        win:set("The synfin plugin (synfin.so) is not loaded, so there is nothing to draw.\n" ..
                "Help > About Wireshark > Plugins lists the plugins that loaded.\n")
        return
    end
    local coll = new_collection(want)
    local sel = registry.selection
    local tap = Listener.new("frame", listener_filter(want), false)
    function tap.packet(pinfo) collect_frame(coll, pinfo) end
    function tap.reset() coll = new_collection(want) end
    if sel then sel.paused = true end
    local ok, err = pcall(retap_packets)
    if sel then sel.paused = false end
    tap:remove()
    if not ok then
        win:set("Could not read the packets: " .. tostring(err) .. "\n")
        return
    end
    if coll.streams[want] == nil then
        win:set(string.format("Stream %d has no TCP segments in this capture.\n", want))
        return
    end
    local text = table.concat(render_collection(coll), "\n") .. "\n"
    win:set(text)
    win:add_button("Copy", function() copy_to_clipboard(text) end)
end

local function ask_stream(title)
    new_dialog(title, function(text)
        local ok, want = parse_stream_arg(text or "")
        if ok and want ~= nil then
            registry.ladder_window(want)
        else
            local win = TextWindow.new("synfin ladder: no stream")
            win:set(string.format("%q is not a stream number (tcp.stream, e.g. 0).\n", tostring(text)))
        end
    end, "Stream (tcp.stream)")
end

-- The display filter's stream when it names one (the packets shown are that
-- stream's, and a selected packet the filter hides is no longer selected),
-- else the selected packet's stream, else ask.
local function ladder_of_selection()
    local want = stream_in_filter()
    if want == nil then want = registry.selection and registry.selection.stream or nil end
    if want == nil then
        ask_stream("synfin ladder: which stream?")
    else
        registry.ladder_window(want)
    end
end

-- The newest copy's functions serve the menu (a -X copy replaces an
-- installed one); the menu items are registered once.
registry.ladder_window = ladder_window
registry.ladder_of_selection = ladder_of_selection
registry.ask_stream = ask_stream
if not registry.ladder_menus then
    registry.ladder_menus = true
    register_menu("synfin/Ladder diagram", function() registry.ladder_of_selection() end,
                  MENU_TOOLS_UNSORTED)
    register_menu("synfin/Ladder diagram of stream...",
                  function() registry.ask_stream("synfin ladder: which stream?") end, MENU_TOOLS_UNSORTED)
end
