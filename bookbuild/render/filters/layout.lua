-- Page layout for HTML: footnotes become side notes (in the margin on wide
-- screens, inline blocks on narrow ones) unless the chapter's
-- `reference-location` is document, section or block (Pandoc places them then);
-- with `citation-location: margin` each citation is followed by its works'
-- bibliography entries, set in the margin; `{layout-narrow}` becomes a class;
-- a `.panel-tabset` becomes tabs, one per heading of its first heading level, in
-- Quarto's (Bootstrap's) markup: `ul.nav.nav-tabs` of `a.nav-link`s, then
-- `div.tab-content` of `div.tab-pane`s, the heading marked `.active` (else the
-- first) active (theme/book.js switches them; without scripts every panel shows, titled).
-- In the PDF a tabset's headings stay headings, unnumbered, as the numbering
-- gives them no number (they are not sections).
package.path = pandoc.path.directory(PANDOC_SCRIPT_FILE) .. '/?.lua;' .. package.path
local book = require 'bookdata'

local count = 0

-- Where the chapter's footnotes and citations go (bookbuild/pageoptions.py).
local function layout(doc_meta)
  return book.load(doc_meta).layout or {}
end
local reference_location, citation_location = 'margin', 'document'

local function Note(note)
  if book.format() ~= 'html' or reference_location ~= 'margin' then return nil end
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

-- The bibliography entries citeproc wrote (`#ref-KEY` divs), as HTML inlines by key.
local function entries_of(blocks)
  local found = {}
  blocks:walk({Div = function(div)
    local key = div.identifier:match('^ref%-(.+)$')
    if key then found[key] = html_of_inlines(pandoc.utils.blocks_to_inlines(div.content, {pandoc.Space()})) end
  end})
  return found
end

-- `citation-location: margin`: each citation followed by a margin note holding its works' entries.
local function margin_citations(doc)
  local entries = entries_of(doc.blocks)
  if next(entries) == nil then return doc end
  doc.blocks = doc.blocks:walk({Cite = function(cite)
    local texts = {}
    for _, c in ipairs(cite.citations) do
      if entries[c.id] then texts[#texts + 1] = entries[c.id] end
    end
    if #texts == 0 then return nil end
    return {cite, pandoc.RawInline('html', '<span class="sidenote margin-citation" role="note">' ..
      table.concat(texts, '<br>') .. '</span>')}
  end})
  return doc
end

local function Meta(meta)
  local given = layout(meta)
  reference_location = given['reference-location'] or 'margin'
  citation_location = given['citation-location'] or 'document'
end

local function Pandoc(doc)
  if book.format() == 'html' and citation_location == 'margin' then return margin_citations(doc) end
end

return {{Meta = Meta}, {Note = Note, Div = Div}, {Pandoc = Pandoc}}
