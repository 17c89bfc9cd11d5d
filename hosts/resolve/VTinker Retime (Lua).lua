--[[
VTinker Retime (Lua): a Workspace > Scripts entry that starts the Python one.

DaVinci Resolve 21.1's free edition no longer lists Python scripts in Workspace > Scripts, while
Lua scripts still list (issue #19). This entry asks Fusion to run VTinker's Python menu script
through Execute() with the "!Py3:" prefix, which the Fusion Scripting Guide documents
(Composition.Execute / Fusion.Execute: "To use python prepend ... !Py3: Python version 3"),
and says plainly what to do when that does not work. It checks the product and version first.

`vtinker-install resolve --lua-launcher` writes it with the lines below filled in.
]]

-- vtinker-install: the lines below are filled in by the installer.
local MENU_SCRIPT = ""
local PYTHON_CODE = ""
-- vtinker-install: end

local TITLE = "VTinker Retime"
-- How long to wait for the Python side to say it started ($VTINKER_LUA_WAIT seconds).
local WAIT_SECONDS = tonumber(os.getenv("VTINKER_LUA_WAIT") or "") or 5

local function say(text)
  print(TITLE .. ": " .. text)
  local ui = (fu or fusion or app) and (fu or fusion or app).UIManager
  if ui == nil or bmd == nil or bmd.UIDispatcher == nil then
    return
  end
  pcall(function()
    local dispatcher = bmd.UIDispatcher(ui)
    local window = dispatcher:AddWindow(
      { ID = "VTinkerMessage", WindowTitle = TITLE, Geometry = { 300, 300, 520, 180 } },
      ui:VGroup({ ui:Label({ ID = "Text", Text = text, WordWrap = true }) })
    )
    function window.On.VTinkerMessage.Close(event)
      dispatcher:ExitLoop()
    end
    window:Show()
    dispatcher:RunLoop()
    window:Hide()
  end)
end

local function file_exists(path)
  local handle = io.open(path, "r")
  if handle == nil then
    return false
  end
  handle:close()
  return true
end

-- Which Resolve: the product name says "Studio" on Resolve Studio (scripting README,
-- GetProductName / GetVersion).
local host = fu or fusion or app
local res = resolve
if res == nil and host ~= nil and host.GetResolve ~= nil then
  res = host:GetResolve()
end
if res == nil and bmd ~= nil and bmd.scriptapp ~= nil then
  res = bmd.scriptapp("Resolve")
end
local product, version = "DaVinci Resolve", {}
if res ~= nil then
  product = res:GetProductName() or product
  version = res:GetVersion() or {}
end
local major, minor = tonumber(version[1]) or 0, tonumber(version[2]) or 0
local free = string.find(product, "Studio", 1, true) == nil
local label = product .. " " .. table.concat(version, ".", 1, math.min(#version, 3))

if MENU_SCRIPT == "" or not file_exists(MENU_SCRIPT) then
  say("the VTinker menu script was not found (" .. MENU_SCRIPT .. "). Run 'vtinker-install "
    .. "resolve --lua-launcher' again from the VTinker environment.")
  return
end
if host == nil or host.Execute == nil then
  say(label .. " gave this script no Fusion object to run Python with. Run VTinker Retime from "
    .. "Workspace > Scripts with a project open.")
  return
end

-- The Python side writes MENU_SCRIPT .. ".launched" as its first step: proof that it ran.
local marker = MENU_SCRIPT .. ".launched"
os.remove(marker)
host:Execute("!Py3: " .. PYTHON_CODE)
local started = os.time()
while not file_exists(marker) and os.time() - started < WAIT_SECONDS do
end
if file_exists(marker) then
  os.remove(marker)
  return
end
local advice = "Install a 64-bit Python 3 (3.6 or later, python.org), restart Resolve and "
  .. "choose Workspace > Scripts > " .. TITLE .. " (Lua) again."
if free and (major > 21 or (major == 21 and minor >= 1)) then
  advice = label .. " (free edition) lists no Python scripts and could not run Python from this "
    .. "Lua entry either. " .. advice .. " If it still does not start, the Python scripts of "
    .. "VTinker Retime need DaVinci Resolve Studio on this version."
else
  advice = label .. " could not run the Python part of VTinker Retime. " .. advice
end
say(advice)
