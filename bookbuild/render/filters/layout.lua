-- Page layout for HTML: footnotes become side notes (in the margin on wide
-- screens, inline blocks on narrow ones); `{layout-narrow}` becomes a class;
-- a `.panel-tabset` becomes tabs, one per heading of its first heading level, in
-- Quarto's (Bootstrap's) markup: `ul.nav.nav-tabs` of `a.nav-link`s, then
-- `div.tab-content` of `div.tab-pane`s, the heading marked `.active` (else the
-- first) active (theme/book.js switches them; without scripts every panel shows, titled).
-- In the PDF a tabset's headings stay headings, unnumbered, as the numbering
-- gives them no number (they are not sections).
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

local tabsets = 0

local function html_of_inlines(inlines)
  return (pandoc.write(pandoc.Pandoc({pandoc.Plain(inlines)}), 'html'):gsub('%s+$', ''))
end

local function tabset(div)
  local level
  for _, block in ipairs(div.content) do
    if block.t == 'Header' then level = block.level; break end
  end
  if not level then return nil end
  tabsets = tabsets + 1
  local out, tabs = pandoc.Blocks({}), {}
  for _, block in ipairs(div.content) do
    if block.t == 'Header' and block.level == level then
      tabs[#tabs + 1] = {title = html_of_inlines(block.content), blocks = pandoc.Blocks({}),
        active = block.classes:includes('active')}
    elseif #tabs == 0 then
      out:insert(block)
    else
      tabs[#tabs].blocks:insert(block)
    end
  end
  local active = 1
  for i, tab in ipairs(tabs) do if tab.active then active = i; break end end
  local nav = {'<div class="panel-tabset"><ul class="nav nav-tabs" role="tablist">'}
  for i, tab in ipairs(tabs) do
    local id = 'tabset-' .. tabsets .. '-' .. i
    nav[#nav + 1] = '<li class="nav-item" role="presentation"><a class="nav-link' .. (i == active and ' active' or '') ..
      '" id="' .. id .. '-tab" role="tab" aria-controls="' .. id .. '" aria-selected="' .. (i == active and 'true' or 'false') ..
      '" href="">' .. tab.title .. '</a></li>'
  end
  nav[#nav + 1] = '</ul><div class="tab-content">'
  out:insert(pandoc.RawBlock('html', table.concat(nav)))
  for i, tab in ipairs(tabs) do
    local id = 'tabset-' .. tabsets .. '-' .. i
    out:insert(pandoc.RawBlock('html', '<div id="' .. id .. '" class="tab-pane' .. (i == active and ' active' or '') ..
      '" role="tabpanel" aria-labelledby="' .. id .. '-tab"><p class="tab-title">' .. tab.title .. '</p>'))
    out:extend(tab.blocks)
    out:insert(pandoc.RawBlock('html', '</div>'))
  end
  out:insert(pandoc.RawBlock('html', '</div></div>'))
  return out
end

local function Div(div)
  if div.classes:includes('{layout-narrow}') or div.attributes['layout-narrow'] then
    div.classes = div.classes:filter(function(c) return c ~= '{layout-narrow}' end)
    div.classes:insert('layout-narrow')
    return div
  end
  if div.classes:includes('panel-tabset') and book.format() == 'html' then return tabset(div) end
end

return {{Note = Note, Div = Div}}
