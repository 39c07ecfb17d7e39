-- Conditional content: `.content-visible` / `.content-hidden` with
-- `when-format` / `unless-format`, as Quarto defines them; the `.quiz-end`
-- marker renders nothing.
package.path = pandoc.path.directory(PANDOC_SCRIPT_FILE) .. '/?.lua;' .. package.path
local book = require 'bookdata'

local aliases = {
  html = {html = true, html5 = true, html4 = true},
  latex = {latex = true, pdf = true},
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
    if not visible(el) then return {} end
    -- `::: {#fig-x .content-visible when-format="pdf"}`: still a figure (or a proof, a callout…)
    -- once shown, so a div with an id or other classes stays, without the condition.
    local others = el.classes:filter(function(c) return c ~= 'content-visible' and c ~= 'content-hidden' end)
    if el.identifier == '' and #others == 0 then return el.content end
    el.classes = others
    el.attributes['when-format'] = nil
    el.attributes['unless-format'] = nil
    return el
  end
end

return {{Div = filter, Span = filter}}
