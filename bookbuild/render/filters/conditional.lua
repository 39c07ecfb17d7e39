-- Conditional content: `.content-visible` / `.content-hidden` with
-- `when-format` / `unless-format` and `when-meta` / `unless-meta` (a dotted key of
-- the front matter or _quarto.yml that is true; the build passes which are), as
-- Quarto defines them, on divs, spans and code blocks; the `.quiz-end` marker renders nothing.
package.path = pandoc.path.directory(PANDOC_SCRIPT_FILE) .. '/?.lua;' .. package.path
local book = require 'bookdata'

-- Quarto's aliases: "html" is every HTML-based format, EPUB included; "epub" only EPUB;
-- "html:js" the HTML formats that run JavaScript (the website, not the EPUB).
local aliases = {
  html = {html = true, html5 = true, html4 = true, ['html:js'] = true},
  latex = {latex = true, pdf = true},
  epub = {html = true, epub = true, epub3 = true},
}

local meta = {}

local function matches(name)
  return name ~= nil and aliases[book.format()][name] == true
end

local function true_meta(key)
  return meta[key] == true
end

-- Whether the element's conditions all hold (nil: it states none).
local function conditions(el)
  local a = el.attributes
  local held, any = true, false
  local function check(value, test, wanted)
    if value == nil then return end
    any = true
    if test(value) ~= wanted then held = false end
  end
  check(a['when-format'], matches, true)
  check(a['unless-format'], matches, false)
  check(a['when-meta'], true_meta, true)
  check(a['unless-meta'], true_meta, false)
  if not any then return nil end
  return held
end

local function visible(el)
  local held = conditions(el)
  if el.classes:includes('content-hidden') then
    if held == nil then return false end
    return not held
  end
  return held ~= false
end

local CONDITION_KEYS = {'when-format', 'unless-format', 'when-meta', 'unless-meta'}

local function strip(el)
  el.classes = el.classes:filter(function(c) return c ~= 'content-visible' and c ~= 'content-hidden' end)
  for _, key in ipairs(CONDITION_KEYS) do el.attributes[key] = nil end
  return el
end

local function filter(el)
  if el.classes:includes('quiz-end') then return {} end
  if el.classes:includes('content-visible') or el.classes:includes('content-hidden') then
    if not visible(el) then return {} end
    -- `::: {#fig-x .content-visible when-format="pdf"}`: still a figure (or a proof, a callout…)
    -- once shown, so an element with an id or other classes stays, without the condition.
    if el.t == 'CodeBlock' then return strip(el) end
    local others = el.classes:filter(function(c) return c ~= 'content-visible' and c ~= 'content-hidden' end)
    if el.identifier == '' and #others == 0 then return el.content end
    return strip(el)
  end
end

return {
  {Meta = function(m)
    local data = book.load(m)
    if data.meta and data.meta ~= pandoc.json.null then meta = data.meta end
  end},
  {Div = filter, Span = filter, CodeBlock = filter},
}
