-- Conditional content: `.content-visible` / `.content-hidden` with
-- `when-format` / `unless-format`, as Quarto defines them; the `.quiz-end`
-- marker renders nothing.
package.path = pandoc.path.directory(PANDOC_SCRIPT_FILE) .. '/?.lua;' .. package.path
local book = require 'bookdata'

-- Quarto's aliases: "html" is every HTML-based format, EPUB included; "epub" only EPUB.
local aliases = {
  html = {html = true, html5 = true, html4 = true},
  latex = {latex = true, pdf = true, beamer = true},
  epub = {html = true, epub = true, epub3 = true},
}

local function matches(name)
  return name ~= nil and aliases[book.format()][name] == true
end

local function visible(el)
  local when, unless = el.attributes['when-format'], el.attributes['unless-format']
  local shown
  if when then shown = matches(when) elseif unless then shown = not matches(unless) else shown = true end
  if el.classes:includes('content-hidden') then
    if when or unless then return not shown end
    return false
  end
  return shown
end

local function filter(el)
  if el.classes:includes('quiz-end') then return {} end
  if el.classes:includes('content-visible') or el.classes:includes('content-hidden') then
    if visible(el) then return el.content end
    return {}
  end
end

return {{Div = filter, Span = filter}}
