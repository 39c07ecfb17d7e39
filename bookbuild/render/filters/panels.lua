-- Quarto's layout panels in HTML (required by floats.lua): the blocks of a div or
-- figure with `layout-ncol`, `layout-nrow` or `layout` become cells in rows,
--
--   <div class="quarto-layout-panel">
--     <div class="quarto-layout-row">
--       <div class="quarto-layout-cell" style="flex-basis: 50.0%;justify-content: center;"> … </div>
--
-- `layout="[[1,1],[1]]"` gives each row's relative widths (a number, a percentage,
-- a negative width for a spacer); `layout-ncol` divides a row among its cells by
-- their pictures' widths (equally when none is given). A picture's width moves to
-- its cell and its height is dropped, so the panel, not the picture, sets its size.
-- `layout-align` (left, center, right) and `layout-valign` (top, center, bottom).
local M = {}

local function raw(text) return pandoc.RawBlock('html', text) end

function M.has_layout(attributes)
  return attributes['layout'] ~= nil or attributes['layout-ncol'] ~= nil or attributes['layout-nrow'] ~= nil
end

local function round(x, digits)
  local m = 10 ^ digits
  return math.floor(x * m + 0.5) / m
end

local function percent_of(size)
  local p = size and size:match('^([%d%.]+)%%$')
  return p and tonumber(p) or nil
end

-- The picture a cell shows: a paragraph of one image, or a figure of one.
local function cell_image(block)
  if block.t == 'Figure' and #block.content == 1 then block = block.content[1] end
  if (block.t == 'Para' or block.t == 'Plain') and #block.content == 1 then
    local el = block.content[1]
    if el.t == 'Link' and #el.content == 1 then el = el.content[1] end
    if el.t == 'Image' then return el end
  end
  return nil
end

-- The cells: each block one, a heading joined to the block after it.
local function partition(blocks)
  local cells, heading = {}, nil
  for _, block in ipairs(blocks) do
    if block.t == 'Header' then
      heading = block
    else
      local cell = {blocks = pandoc.Blocks({}), subref = block.t == 'Figure' and block.identifier ~= ''}
      if heading then cell.blocks:insert(heading); heading = nil end
      cell.blocks:insert(block)
      local img = cell_image(block)
      if img then
        cell.width = img.attributes['width']
        if percent_of(img.attributes['width']) then img.attributes['width'] = nil end
        img.attributes['height'] = nil
        cell.picture = true
      end
      cell.picture = cell.picture or block.t == 'Table' or block.t == 'Figure'
      cells[#cells + 1] = cell
    end
  end
  if heading then cells[#cells + 1] = {blocks = pandoc.Blocks({heading})} end
  return cells
end

-- `layout-ncol`/`layout-nrow`: rows of that many cells, each as wide as its picture asks, relative to the row.
local function by_columns(cells, columns)
  local rows = {}
  for i, cell in ipairs(cells) do
    if (i - 1) % columns == 0 then rows[#rows + 1] = {} end
    table.insert(rows[#rows], cell)
  end
  for _, row in ipairs(rows) do
    local widths, default = {}, nil
    for i, cell in ipairs(row) do
      widths[i] = tonumber(tostring(cell.width or ''):match('^(-?[%d%.]+)')) or 0
      if widths[i] > 0 and not default then default = widths[i] end
    end
    local total = 0
    for i = 1, columns do
      if not widths[i] or widths[i] == 0 then widths[i] = default or 1 end
      total = total + widths[i]
    end
    for i, cell in ipairs(row) do cell.basis = round(widths[i] / total * 100, 1) .. '%' end
  end
  return rows
end

-- `layout="[[1,1],[1]]"` (or one row, `[1,1]`): rows of relative widths, the last repeated for extra cells.
local function by_spec(cells, spec)
  local ok, parsed = pcall(pandoc.json.decode, spec, false)
  if not ok or type(parsed) ~= 'table' then return nil end
  if type(parsed[1]) ~= 'table' then parsed = {parsed} end
  local layout = {}
  for _, row in ipairs(parsed) do
    if type(row) ~= 'table' then return nil end
    local total = 0
    for _, w in ipairs(row) do
      if type(w) == 'number' then total = total + math.abs(w) else total = 0; break end
    end
    local widths = {}
    for _, w in ipairs(row) do
      if type(w) == 'number' then
        if total ~= 0 then w = round(w / total * 100, 2) elseif w <= 1 then w = round(w * 100, 2) end
        w = tostring(w) .. '%'
      end
      widths[#widths + 1] = tostring(w)
    end
    layout[#layout + 1] = widths
  end
  local slots = 0
  for _, row in ipairs(layout) do
    for _, w in ipairs(row) do if w:sub(1, 1) ~= '-' then slots = slots + 1 end end
  end
  while slots < #cells and #layout[#layout] > 0 do
    local again = {}
    for _, w in ipairs(layout[#layout]) do
      again[#again + 1] = w
      if w:sub(1, 1) ~= '-' then slots = slots + 1 end
    end
    layout[#layout + 1] = again
  end
  local rows, next_cell = {}, 1
  for _, widths in ipairs(layout) do
    if next_cell > #cells then break end
    local row = {}
    for _, w in ipairs(widths) do
      if w:sub(1, 1) == '-' then
        row[#row + 1] = {spacer = true, basis = w:sub(2)}
      elseif cells[next_cell] then
        cells[next_cell].basis = w
        row[#row + 1] = cells[next_cell]
        next_cell = next_cell + 1
      end
    end
    rows[#rows + 1] = row
  end
  return rows
end

local JUSTIFY = {left = 'flex-start', center = 'center', right = 'flex-end'}
local VALIGN = {top = 'quarto-layout-valign-top', center = 'quarto-layout-valign-center',
  bottom = 'quarto-layout-valign-bottom'}

-- The panel of `blocks` as HTML blocks; `convert` renders a cell's blocks,
-- `parent` is the float's id (its parts are its subfloats); `id` and `classes`
-- (a string) are the panel's own, for a div that is not a float.
function M.panel(blocks, attributes, convert, parent, id, classes)
  local cells = partition(blocks)
  local rows
  if attributes['layout'] then rows = by_spec(cells, attributes['layout']) end
  if not rows then
    local columns = tonumber(attributes['layout-ncol'])
    local nrow = tonumber(attributes['layout-nrow'])
    if not columns and nrow and nrow > 0 then columns = math.ceil(#cells / nrow) end
    rows = by_columns(cells, math.max(1, math.floor(columns or 1)))
  end
  local align = attributes['layout-align']
  local valign = VALIGN[attributes['layout-valign'] or '']
  local class = 'quarto-layout-panel' .. ((classes and classes ~= '') and (' ' .. classes) or '')
  local out = pandoc.Blocks({raw('<div' .. ((id and id ~= '') and (' id="' .. id .. '"') or '') ..
    ' class="' .. class .. '">')})
  for _, row in ipairs(rows) do
    out:insert(raw('<div class="quarto-layout-row' .. (valign and (' ' .. valign) or '') .. '">'))
    for _, cell in ipairs(row) do
      local basis = cell.basis
      local pct = percent_of(basis)
      if pct then basis = tostring(round(pct, 1)) .. '%' end
      if cell.spacer then
        out:insert(raw('<div class="quarto-figure-spacer quarto-layout-cell" style="flex-basis: ' .. basis ..
          ';">&nbsp;</div>'))
      else
        local justify = JUSTIFY[align or (cell.picture and 'center' or 'left')] or 'center'
        out:insert(raw('<div class="quarto-layout-cell' .. (cell.subref and ' quarto-layout-cell-subref' or '') ..
          '" style="flex-basis: ' .. basis .. ';justify-content: ' .. justify .. ';"' ..
          ((cell.subref and parent) and (' data-ref-parent="' .. parent .. '"') or '') .. '>'))
        out:extend(convert(cell.blocks))
        out:insert(raw('</div>'))
      end
    end
    out:insert(raw('</div>'))
  end
  out:insert(raw('</div>'))
  return out
end

return M
