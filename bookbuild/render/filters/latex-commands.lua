-- Raw LaTeX in chapters. For HTML: `\index`, `\noindent`, `\newpage`,
-- `\begingroup`/`\endgroup` and the like vanish without a trace; a
-- `marginfigure` holding `\mlsysstack{…}` becomes a margin figure with an
-- equivalent SVG stack diagram; `\chapterminitoc` becomes the chapter's list
-- of numbered sections. For LaTeX, raw LaTeX passes through untouched.
package.path = pandoc.path.directory(PANDOC_SCRIPT_FILE) .. '/?.lua;' .. package.path
local book = require 'bookdata'

-- Bottom to top, as the macro's first seven arguments; the eighth is data,
-- drawn as a bar beside the whole stack.
local LAYERS = {'Hardware', 'Frameworks', 'Models', 'Training', 'Serving', 'Operations', 'Applications'}

local function is_tex(el)
  return el.format == 'tex' or el.format == 'latex'
end

local function stack_svg(values, color)
  local rows = {}
  local width, height, bar_h, gap, left = 220, 7 * 22 + 4, 18, 4, 34
  rows[#rows + 1] = string.format(
    '<svg xmlns="http://www.w3.org/2000/svg" class="mlsys-stack-diagram" viewBox="0 0 %d %d" role="img" aria-label="Emphasis of this chapter on the layers of an ML system">',
    width, height)
  for i, name in ipairs(LAYERS) do
    local v = math.max(0, math.min(100, tonumber(values[i]) or 0))
    local y = height - i * (bar_h + gap)
    rows[#rows + 1] = string.format(
      '<rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="%s" fill-opacity="%.2f" stroke="%s" stroke-opacity="0.5"/>' ..
      '<text x="%d" y="%d" font-size="11" text-anchor="middle" fill="currentColor">%s</text>',
      left, y, width - left - 2, bar_h, color, 0.06 + 0.9 * v / 100, color,
      left + (width - left) / 2, y + 13, name)
  end
  local d = math.max(0, math.min(100, tonumber(values[8]) or 0))
  rows[#rows + 1] = string.format(
    '<rect x="2" y="4" width="26" height="%d" rx="3" fill="%s" fill-opacity="%.2f" stroke="%s" stroke-opacity="0.5"/>' ..
    '<text x="15" y="%d" font-size="11" text-anchor="middle" fill="currentColor" transform="rotate(-90 15 %d)">Data</text>',
    height - 8, color, 0.06 + 0.9 * d / 100, color, height / 2 + 4, height / 2)
  rows[#rows + 1] = '</svg>'
  return table.concat(rows)
end

local function stack_block(tex, data)
  local args = {}
  local _, pos = tex:find('\\mlsysstack')
  while pos do
    local arg, after = tex:match('^%s*(%b{})()', pos + 1)
    if not arg then break end
    args[#args + 1] = arg:sub(2, -2)
    pos = after - 1
  end
  if #args < 8 then return nil end
  local svg = stack_svg(args, data.stack_color or '#A51C30')
  return pandoc.RawBlock('html',
    '<div class="column-margin"><figure class="mlsys-stack">' .. svg ..
    '<figcaption>Where this chapter sits in the ML systems stack</figcaption></figure></div>')
end

-- The chapter's numbered level-2 headings, found among the blocks (and inside
-- divs) without visiting every inline, as a full walk would.
local function minitoc(doc, data)
  local items = {}
  local function visit(blocks)
    for _, block in ipairs(blocks) do
      if block.t == 'Header' then
        if block.level == 2 and not block.classes:includes('unnumbered') then
          items[#items + 1] = '<li><a href="#' .. block.identifier .. '">' ..
            book.escape_html(pandoc.utils.stringify(block.content:walk({Note = function() return {} end}))) .. '</a></li>'
        end
      elseif block.t == 'Div' or block.t == 'BlockQuote' then
        visit(block.content)
      end
    end
  end
  visit(doc.blocks)
  -- `language: minitoc-title` (bookbuild.language).
  local title = (data.language or {})['minitoc-title'] or 'In this chapter'
  return '<nav class="chapter-minitoc" aria-label="' .. book.escape_html(title) .. '"><ul>' ..
    table.concat(items) .. '</ul></nav>'
end

local function Pandoc(doc)
  if book.format() == 'latex' then return nil end
  local data = book.load(doc.meta)
  -- Each walk costs a pass over the whole document: the table of contents is
  -- built, and paragraphs revisited, only when a chapter asks for one.
  local toc_html, inline_toc = nil, false
  local function toc()
    toc_html = toc_html or minitoc(doc, data)
    return toc_html
  end
  local function raw_block(el)
    if not is_tex(el) then return nil end
    if el.text:match('\\mlsysstack') then return stack_block(el.text, data) or {} end
    if el.text:match('\\chapterminitoc') then return pandoc.RawBlock('html', toc()) end
    return {}
  end
  local function raw_inline(el)
    if not is_tex(el) then return nil end
    if el.text:match('\\chapterminitoc') then
      inline_toc = true
      return pandoc.RawInline('html', toc())
    end
    return {}
  end
  doc.blocks = doc.blocks:walk({RawBlock = raw_block, RawInline = raw_inline})
  if inline_toc then
    -- A paragraph left holding only the table of contents should not be a <p>.
    doc.blocks = doc.blocks:walk({Para = function(p)
      if #p.content == 1 and p.content[1].t == 'RawInline' and p.content[1].format == 'html' then
        return pandoc.RawBlock('html', p.content[1].text)
      end
    end})
  end
  return doc
end

return {{Pandoc = Pandoc}}
