-- Quarto's float markup in HTML, so a book's own CSS written for Quarto applies.
-- A numbered figure, table, listing or custom float (a Pandoc Figure whose id
-- has a kind's prefix, numbered and captioned by crossref.lua) becomes
--
--   <div id="fig-x" class="quarto-float quarto-figure quarto-figure-center">
--     <figure class="quarto-float quarto-float-fig figure">
--       <div aria-describedby="fig-x-caption"> …content… </div>
--       <figcaption class="quarto-float-caption-bottom quarto-float-caption quarto-float-fig"
--                   id="fig-x-caption">Figure 1.2: …</figcaption>
--     </figure>
--   </div>
--
-- with the caption above the content for tables and listings (`tbl-cap-location`,
-- `lst-cap-location`, `fig-cap-location`: top or bottom, in the front matter or on
-- the float). A float inside a float is a subfloat (`quarto-subfloat-fig`, caption
-- `quarto-subfloat-caption`); `layout-ncol`, `layout-nrow` or `layout` (on a float
-- or any div) puts the parts in a `div.quarto-layout-panel` of rows of
-- `div.quarto-layout-cell`s (panels.lua). An unlabelled captioned
-- image is `div.quarto-figure > figure.figure`, as in Quarto; so is a figure a cell
-- shows without a label or caption (`div > figure.figure > p > img.figure-img`).
package.path = pandoc.path.directory(PANDOC_SCRIPT_FILE) .. '/?.lua;' .. package.path
local book = require 'bookdata'
local panels = require 'panels'

local DEFAULT_LOCATION = {fig = 'bottom', tbl = 'top', lst = 'top'}
local locations = {}

local function raw(text) return pandoc.RawBlock('html', text) end

local function kind_of(fig)
  if fig.classes:includes('listing') then return 'lst' end
  for _, class in ipairs(fig.classes) do
    local custom = class:match('^float%-(.+)$')
    if custom then return custom end
  end
  return fig.identifier:match('^(%a+)%-') or 'fig'
end

local function location(fig, kind)
  local own = fig.attributes[kind .. '-cap-location']
  fig.attributes[kind .. '-cap-location'] = nil
  local where = own or locations[kind] or DEFAULT_LOCATION[kind] or 'bottom'
  return (where == 'top') and 'top' or 'bottom'
end

local function mark_images(blocks)
  return blocks:walk({Image = function(img)
    if not img.classes:includes('figure-img') then img.classes:insert('figure-img') end
    return img
  end})
end

local convert

-- The parts of a figure with a layout, in a panel of rows of cells (panels.lua).
local function layout_panel(blocks, attributes, parent)
  return panels.panel(blocks, attributes, function(cell) return convert(cell, true) end, parent)
end

-- `quarto-figure-left|center|right`: a listing is left-aligned (its text reads from
-- the left), another float takes its first picture's `fig-align` (default: centred).
local ALIGNS = {left = true, center = true, right = true}

local function alignment(fig, kind)
  local align
  fig.content = fig.content:walk({
    Table = function() return nil, false end,
    Image = function(img)
      local own = img.attributes['fig-align']
      if own == nil then return nil end
      img.attributes['fig-align'] = nil
      align = align or own
      return img
    end,
  })
  if kind == 'lst' then return 'left' end
  return ALIGNS[align or ''] and align or 'center'
end

local function float(fig, sub)
  local id = fig.identifier
  local kind = kind_of(fig)
  local align = alignment(fig, kind)
  local where = location(fig, kind)
  local body
  if panels.has_layout(fig.attributes) then
    body = layout_panel(mark_images(fig.content), fig.attributes, id)
  else
    body = convert(mark_images(fig.content), true)
  end
  local caption = fig.caption.long or pandoc.Blocks({})
  local has_caption = #caption > 0
  local own = fig.classes:filter(function(c)
    return c ~= 'figure' and c ~= 'listing' and c ~= 'table' and not c:match('^float%-')
  end)
  if kind == 'lst' then own:insert('listing') end
  local extra = #own > 0 and (' ' .. table.concat(own, ' ')) or ''
  local out = pandoc.Blocks({})
  local kind_class = (sub and 'quarto-subfloat-' or 'quarto-float-') .. kind
  if id ~= '' then
    local outer = sub and (kind_class .. ' quarto-float')
      or ('quarto-float quarto-figure quarto-figure-' .. align .. extra)
    out:insert(raw('<div id="' .. id .. '" class="' .. outer .. '">'))
    out:insert(raw('<figure class="' .. (sub and (kind_class .. ' quarto-float') or ('quarto-float ' .. kind_class)) ..
      (kind == 'fig' and ' figure' or '') .. '">'))
  else
    out:insert(raw('<div class="quarto-figure quarto-figure-' .. align .. extra .. '">'))
    out:insert(raw('<figure class="figure">'))
  end
  local caption_id = id ~= '' and (id .. '-caption') or nil
  local function put_caption()
    if not has_caption then return end
    local classes = id == '' and 'figure-caption'
      or sub and ('quarto-subfloat-caption ' .. kind_class)
      or ('quarto-float-caption-' .. where .. ' quarto-float-caption ' .. kind_class)
    out:insert(raw('<figcaption class="' .. classes .. '"' .. (caption_id and (' id="' .. caption_id .. '"') or '') .. '>'))
    out:extend(book.plain(caption))
    out:insert(raw('</figcaption>'))
  end
  if where == 'top' then put_caption() end
  if id ~= '' then
    out:insert(raw('<div' .. (has_caption and (' aria-describedby="' .. caption_id .. '"') or '') .. '>'))
    out:extend(body)
    out:insert(raw('</div>'))
  else
    out:extend(body)
  end
  if where == 'bottom' then put_caption() end
  out:insert(raw('</figure>'))
  out:insert(raw('</div>'))
  return out
end

-- A cell's figure with neither label nor caption (a paragraph of its one image).
local function plain_cell_figure(para)
  local image = #para.content == 1 and para.content[1]
  if not image or image.t ~= 'Image' or not image.classes:includes('cell-figure') then return nil end
  image.classes:insert('figure-img')
  return pandoc.Div({raw('<figure class="figure">'), pandoc.Para({image}), raw('</figure>')}), false
end

-- `::: {layout-ncol=2}` around anything (not a float): its blocks in a panel, the div's id and classes on it.
local function layout_div(div, sub)
  if not panels.has_layout(div.attributes) then return nil end
  return panels.panel(div.content, div.attributes, function(cell) return convert(cell, sub) end, nil,
    div.identifier, table.concat(div.classes, ' ')), false
end

-- Top-down, so a float knows whether it stands inside another.
convert = function(blocks, sub)
  return blocks:walk({
    traverse = 'topdown',
    Figure = function(fig) return float(fig, sub), false end,
    Para = plain_cell_figure,
    Div = function(div) return layout_div(div, sub) end,
  })
end

return {{
  Pandoc = function(doc)
    if book.format() ~= 'html' then return nil end
    local data = book.load(doc.meta)
    if data.cap_locations and data.cap_locations ~= pandoc.json.null then
      for kind, where in pairs(data.cap_locations) do locations[kind] = where end
    end
    doc.blocks = convert(doc.blocks, false)
    return doc
  end,
}}
