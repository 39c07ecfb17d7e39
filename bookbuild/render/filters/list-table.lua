-- List tables, as Quarto reads them: a `::: {.list-table}` div holding a bullet
-- list of rows, each row a bullet list of cells, becomes a table.
--
--   ::: {#tbl-x .list-table header-rows=1 header-cols=0 aligns=l,c widths=1,3}
--   Caption (the first or the last paragraph), {tbl-colwidths=[20,80]} allowed at its end
--
--   * - row 1, cell 1
--     - row 1, cell 2
--   :::
--
-- The first `header-rows` rows (default 1) are the head, the first `header-cols`
-- cells of each body row (default 0) row headers; a cell starting with an empty
-- span (`[]{colspan=2 align=c}`) takes its attributes. The div's id and other
-- classes go to the table, so `#tbl-x` is then numbered and captioned as a table
-- (crossref.lua). Runs before crossref.lua, in every format.

local ALIGN = {l = 'AlignLeft', c = 'AlignCenter', r = 'AlignRight', d = 'AlignDefault'}

local function split_list(text)
  local out = {}
  for item in (text or ''):gmatch('[^,%s%[%]]+') do out[#out + 1] = item end
  return out
end

-- `Caption text {tbl-colwidths=[20,80] .striped}`: the caption and the attributes at its end.
local function caption_attributes(para)
  local inlines = para.content:clone()
  local text = ''
  local start = #inlines + 1
  -- Walk back to the inline that opens the brace group.
  for i = #inlines, 1, -1 do
    local el = inlines[i]
    if el.t == 'Quoted' then  -- `key="value"`, read by Pandoc as quoted text
      local mark = el.quotetype == 'SingleQuote' and "'" or '"'
      text = mark .. pandoc.utils.stringify(el.content) .. mark .. text
    elseif el.t == 'Str' or el.t == 'Space' then
      text = pandoc.utils.stringify(el) .. text
    else
      return inlines, nil
    end
    if el.t == 'Str' and el.text:match('^{') then start = i; break end
  end
  if start > #inlines or not text:match('^{.*}$') then return inlines, nil end
  local ok, parsed = pcall(pandoc.read, '[]' .. text, 'markdown')
  local span = ok and parsed.blocks[1] and parsed.blocks[1].content and parsed.blocks[1].content[1]
  if not span or span.t ~= 'Span' then return inlines, nil end
  for _ = start, #inlines do inlines:remove(start) end
  while #inlines > 0 and (inlines[#inlines].t == 'Space' or inlines[#inlines].t == 'SoftBreak') do
    inlines:remove(#inlines)
  end
  return inlines, span.attr
end

local function is_rows(block)
  if block.t ~= 'BulletList' then return false end
  for _, item in ipairs(block.content) do
    if #item ~= 1 or item[1].t ~= 'BulletList' then return false end
  end
  return true
end

-- A cell: its blocks, and the attributes of a leading empty span (removed).
local function make_cell(blocks)
  local attr = pandoc.Attr()
  local first = blocks[1]
  if first and (first.t == 'Plain' or first.t == 'Para') and first.content[1]
      and first.content[1].t == 'Span' and #first.content[1].content == 0 then
    attr = first.content[1].attr
    first.content:remove(1)
    if first.content[1] and first.content[1].t == 'Space' then first.content:remove(1) end
  end
  local keys = attr.attributes
  local rowspan, colspan = tonumber(keys.rowspan) or 1, tonumber(keys.colspan) or 1
  local align = ALIGN[keys.align or 'd'] or 'AlignDefault'
  keys.rowspan, keys.colspan, keys.align = nil, nil, nil
  return pandoc.Cell(blocks, align, rowspan, colspan, attr), colspan
end

local function list_table(div)
  local blocks = div.content
  local caption, rows_list = nil, nil
  for n, block in ipairs(blocks) do
    if is_rows(block) and not rows_list then
      rows_list = block
    elseif block.t == 'Para' and not caption and (n == 1 or n == #blocks) then
      caption = block
    else
      return nil  -- not a list table's shape: left as it is
    end
  end
  if not rows_list then return nil end

  local rows, width = {}, 0
  for _, item in ipairs(rows_list.content) do
    local cells, span = {}, 0
    for _, cell_blocks in ipairs(item[1].content) do
      local cell, colspan = make_cell(pandoc.Blocks(cell_blocks))
      cells[#cells + 1] = cell
      span = span + colspan
    end
    width = math.max(width, span)
    rows[#rows + 1] = pandoc.Row(cells)
  end

  local attr = pandoc.Attr(div.identifier, div.classes:filter(function(c) return c ~= 'list-table' end), {})
  local caption_inlines, extra = nil, nil
  if caption then caption_inlines, extra = caption_attributes(caption) end
  local keys = div.attributes
  local widths = split_list(keys.widths)
  local aligns = split_list(keys.aligns)
  if extra then
    if extra.identifier ~= '' and attr.identifier == '' then attr.identifier = extra.identifier end
    attr.classes:extend(extra.classes)
    if extra.attributes['tbl-colwidths'] then widths = split_list(extra.attributes['tbl-colwidths']) end
    for key, value in pairs(extra.attributes) do
      if key ~= 'tbl-colwidths' then attr.attributes[key] = value end
    end
  end
  for key, value in pairs(keys) do
    if key ~= 'widths' and key ~= 'aligns' and key ~= 'header-rows' and key ~= 'header-cols' then
      attr.attributes[key] = value
    end
  end

  local total = 0
  for _, w in ipairs(widths) do total = total + (tonumber(w) or 0) end
  local colspecs = {}
  for i = 1, width do
    local w = tonumber(widths[i])
    local colwidth = (#widths == width and total > 0 and w) and (w / total) or nil
    colspecs[i] = {ALIGN[aligns[i] or 'd'] or 'AlignDefault', colwidth}
  end

  local header_rows = math.min(tonumber(keys['header-rows']) or 1, #rows)
  local head_rows, body_rows = {}, {}
  for i, row in ipairs(rows) do
    if i <= header_rows then head_rows[#head_rows + 1] = row else body_rows[#body_rows + 1] = row end
  end
  local body = {attr = pandoc.Attr(), body = body_rows, head = {},
    row_head_columns = tonumber(keys['header-cols']) or 0}
  local long = caption_inlines and pandoc.Blocks({pandoc.Plain(caption_inlines)}) or pandoc.Blocks({})
  return pandoc.Table({long = long}, colspecs, pandoc.TableHead(head_rows), {body}, pandoc.TableFoot(), attr)
end

return {{
  Div = function(div)
    if div.classes:includes('list-table') then return list_table(div) end
  end,
}}
