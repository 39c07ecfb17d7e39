-- Page layout for HTML: footnotes become side notes (in the margin on wide
-- screens, inline blocks on narrow ones); `{layout-narrow}` becomes a class.
package.path = pandoc.path.directory(PANDOC_SCRIPT_FILE) .. '/?.lua;' .. package.path
local book = require 'bookdata'

local count = 0

local function Note(note)
  if book.format() ~= 'html' then return nil end
  count = count + 1
  local n = tostring(count)
  local out = pandoc.Inlines({pandoc.RawInline('html',
    '<span class="sidenote-ref" id="fnref' .. n .. '">' .. n .. '</span>' ..
    '<span class="sidenote" role="note" id="fn' .. n .. '"><span class="sidenote-number">' .. n .. '</span> ')})
  out:extend(pandoc.utils.blocks_to_inlines(note.content, {pandoc.Space()}))
  out:insert(pandoc.RawInline('html', '</span>'))
  return out
end

local function Div(div)
  if div.classes:includes('{layout-narrow}') or div.attributes['layout-narrow'] then
    div.classes = div.classes:filter(function(c) return c ~= '{layout-narrow}' end)
    div.classes:insert('layout-narrow')
    return div
  end
end

return {{Note = Note, Div = Div}}
