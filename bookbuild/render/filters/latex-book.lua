-- LaTeX only: what a typeset book needs beyond Pandoc's LaTeX writer. Runs
-- after the cross-reference filter and before the callouts filter (which
-- turns callout divs into `bookcallout` boxes), so it still sees which content
-- sits inside a callout. The macros and environments it writes are defined in
-- bookbuild/theme/latex-preamble.tex.
--
-- * Content inside a box (a callout, a margin note) cannot hold floats,
--   `longtable`s or `\marginpar`s: there figures are placed `[H]`, tables become
--   `tabular`s with `\captionof`, footnotes stay footnotes.
-- * Everywhere else footnotes become side notes (`\booksidenote`), and
--   `.column-margin` content goes to the margin (`bookmargin`).
-- * A note in a caption (which LaTeX would lose in a float or a longtable's
--   head) leaves a mark there; its text goes to the margin beside the figure
--   or table (`\bookcaptionnotes`).
-- * Headers the build numbered as unnumbered (an unnumbered chapter's
--   sections too) are `.unnumbered`; `\index` entries leave the heading (they
--   would otherwise be copied into the table of contents).
-- * Captions get a short form for the lists of figures and tables (the bold
--   lead-in, without index entries or notes); unlabelled figures keep their
--   caption but take no number, as in HTML; TikZ pictures are scaled to fit.
-- * A cross-reference to a chapter left out of this build reads as text.
package.path = pandoc.path.directory(PANDOC_SCRIPT_FILE) .. '/?.lua;' .. package.path
local book = require 'bookdata'

local data
-- Characters of a table's small type on one line: the text block, a callout's inside.
local TEXT_LINE, BOX_LINE = 78, 70

local function latex_of_blocks(blocks)
  return (pandoc.write(pandoc.Pandoc(blocks), 'latex'):gsub('%s+$', ''))
end

local function latex_of_inlines(inlines)
  return latex_of_blocks(pandoc.Blocks({pandoc.Plain(inlines)}))
end

local function has_class_prefix(el, prefix)
  for _, class in ipairs(el.classes) do
    if class:sub(1, #prefix) == prefix then return true end
  end
  return false
end

local function is_callout(div) return has_class_prefix(div, 'callout-') or div.classes:includes('callout') end

local function is_margin(div)
  return div.classes:includes('column-margin') or div.classes:includes('aside')
end

local function is_index(el)
  return el.t == 'RawInline' and (el.format == 'latex' or el.format == 'tex') and el.text:match('^%s*\\index%s*{') ~= nil
end

-- A code block in a note: verbatim cannot stand in a macro's argument, so its lines
-- are set as inline code (escaped, argument-safe), one a line.
local function argument_safe(blocks)
  return blocks:walk({CodeBlock = function(code)
    local lines = pandoc.Inlines({})
    for line in (code.text .. '\n'):gmatch('(.-)\n') do
      if #lines > 0 then lines:insert(pandoc.LineBreak()) end
      lines:insert(pandoc.Code(line ~= '' and line or ' '))
    end
    return pandoc.Para(lines)
  end})
end

-- A note written as Pandoc would write it (`\footnote{…}`), fixed as raw LaTeX.
local function footnote(note)
  return pandoc.RawInline('latex', latex_of_inlines(pandoc.Inlines({pandoc.Note(argument_safe(note.content))})))
end

local function notes_to_footnotes(el)
  return el:walk({Note = footnote})
end

-- Notes in a caption: the caption keeps marks, the texts go to the margin (see
-- \\bookcaptionmark in the preamble). `before`: the notes are set before the
-- caption, so its marks point back at them. nil when there are none.
local function caption_notes(caption, before)
  local count = 0
  caption.long:walk({Note = function() count = count + 1 end})
  if count == 0 then return nil end
  local texts = {}
  caption.long = caption.long:walk({Note = function(note)
    texts[#texts + 1] = '\\bookcaptionnote{' .. latex_of_blocks(argument_safe(note.content)) .. '}'
    local ahead = before and #texts - count or #texts
    return pandoc.RawInline('latex', '\\bookcaptionmark{' .. ahead .. '}')
  end})
  return pandoc.RawBlock('latex', '\\bookcaptionnotes{' .. table.concat(texts) .. '}')
end

local function is_raw_footnote(el)
  return el.t == 'RawInline' and el.format == 'latex'
    and (el.text:match('^\\footnote') ~= nil or el.text:match('^\\bookcaptionmark') ~= nil)
end

-- The caption's short form: its bold lead-in if it has one, else the whole
-- caption; without index entries or notes either way.
local function short_caption(long_blocks)
  local inlines = pandoc.utils.blocks_to_inlines(long_blocks, {pandoc.Space()})
  local first = inlines[1]
  local short = (first and first.t == 'Strong') and first.content or inlines
  short = short:walk({
    Note = function() return {} end,
    RawInline = function(r) if is_index(r) or is_raw_footnote(r) then return {} end end,
  })
  while #short > 0 and (short[#short].t == 'Space' or short[#short].t == 'SoftBreak') do short:remove(#short) end
  while #short > 0 and short[#short].t == 'Str' and short[#short].text:match('^[:.]$') do short:remove(#short) end
  if #short > 0 and short[#short].t == 'Str' then
    short[#short] = pandoc.Str((short[#short].text:gsub('[:.]$', '')))
  end
  return short
end

-- Only when the short form is not the caption itself (less its last full stop): a
-- plain caption is listed whole, as Quarto lists it.
local function set_short_caption(caption)
  if caption.long and #caption.long > 0 and (caption.short == nil or #caption.short == 0) then
    local short = short_caption(caption.long)
    local inlines = pandoc.utils.blocks_to_inlines(caption.long, {pandoc.Space()})
    local plain = not (inlines[1] and inlines[1].t == 'Strong')
    inlines:walk({
      Note = function() plain = false end,
      RawInline = function(r) if is_index(r) or is_raw_footnote(r) then plain = false end end,
    })
    local same = plain and pandoc.utils.stringify(short) == pandoc.utils.stringify(inlines):gsub('[:.]$', '')
    if #short > 0 and not same then caption.short = short end
  end
end

-- A figure's label inside its caption, as Quarto writes it: `\caption{\label{fig-x}…}`.
local function label_in_caption(fig)
  local first = fig.caption.long[1]
  if first and (first.t == 'Plain' or first.t == 'Para') then
    first.content:insert(1, pandoc.RawInline('latex', '\\label{' .. fig.identifier .. '}'))
    fig.identifier = ''
  end
end

-- ---------------------------------------------------------------- table columns

-- Column widths that let every word fit. Pandoc takes the widths of a pipe
-- table from its dashes, and LaTeX cannot widen a column for a word that does
-- not fit: the word runs into the next column. So each column gets at least
-- its longest word; the rest of the line is shared as the author's widths ask
-- or, without them, by how much text each column holds (as a browser would).
-- Measured in characters of the table's small type; `line` is how many fit on
-- a line. Returns nil when the table fits at its natural width.
local function word_width(word)
  -- Capitals are wider than the average character the line length counts.
  local _, capitals = word:gsub('%u', '')
  return (utf8.len(word) or #word) + 0.4 * capitals
end

-- The narrowest a word can be set: TeX hyphenates a long word of letters, and a
-- line may break after a hyphen or (see `slash_breaks`) a slash.
local function unbreakable_width(word)
  local widest = 0
  for piece in word:gmatch('[^/%-]+[/%-]?') do
    local width = word_width(piece)
    if piece:match('^%a+$') then width = math.min(width, 9) end
    widest = math.max(widest, width)
  end
  return widest
end

local function text_length(blocks)
  local text = pandoc.utils.stringify(blocks)
  local longest = 0
  for word in text:gmatch('%S+') do longest = math.max(longest, unbreakable_width(word)) end
  return word_width(text), longest
end

-- Let a table cell break a line after a slash ("GPUs/TPUs").
local function slash_breaks(tbl)
  return tbl:walk({Str = function(str)
    if not str.text:find('/', 1, true) or str.text:match('^/') then return nil end
    local out = pandoc.Inlines({})
    for piece, slash in str.text:gmatch('([^/]*)(/?)') do
      if piece ~= '' or slash ~= '' then
        out:insert(pandoc.Str(piece .. slash))
        if slash ~= '' then out:insert(pandoc.RawInline('latex', '\\allowbreak{}')) end
      end
    end
    if out[#out].t == 'RawInline' then out:remove(#out) end
    return out
  end})
end

local function fitted_widths(tbl, line)
  local simple = pandoc.utils.to_simple_table(tbl)
  local n = #simple.aligns
  if n == 0 then return nil end
  local min, max = {}, {}
  for i = 1, n do min[i], max[i] = 1, 1 end
  local function measure(cells, bold)
    for i, cell in ipairs(cells) do
      if i <= n then
        local len, longest = text_length(cell)
        local scale = bold and 1.15 or 1
        min[i] = math.max(min[i], math.ceil(longest * scale) + 1)
        max[i] = math.max(max[i], math.ceil(len * scale) + 1)
      end
    end
  end
  measure(simple.headers, true)
  for _, row in ipairs(simple.rows) do measure(row, false) end
  local room = line - 2 * n
  local sum_min, sum_max, given = 0, 0, 0
  for i = 1, n do
    sum_min, sum_max = sum_min + min[i], sum_max + max[i]
    given = given + (simple.widths[i] or 0)
  end
  local widths = {}
  if given > 0 then
    for i = 1, n do widths[i] = math.max((simple.widths[i] or 0) / given * room, min[i]) end
  elseif sum_max <= room then
    return nil
  elseif sum_min >= room then
    for i = 1, n do widths[i] = min[i] end
  else
    local spare, slack = room - sum_min, sum_max - sum_min
    for i = 1, n do widths[i] = min[i] + spare * (max[i] - min[i]) / slack end
  end
  -- Columns pushed wider than asked give the difference back from the others' slack.
  local total = 0
  for i = 1, n do total = total + widths[i] end
  if total > room then
    local excess, give = total - room, 0
    for i = 1, n do give = give + (widths[i] - min[i]) end
    if give > 0 then
      for i = 1, n do widths[i] = widths[i] - math.min(1, excess / give) * (widths[i] - min[i]) end
    end
  end
  total = 0
  for i = 1, n do total = total + widths[i] end
  for i = 1, n do widths[i] = widths[i] / math.max(total, room) end
  return widths
end

local function set_widths(tbl, widths)
  tbl = slash_breaks(tbl)
  if not widths then return tbl end
  for i, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[i] = {spec[1], widths[i]}
  end
  return tbl
end

-- ---------------------------------------------------------------- tables in boxes

local RAGGED = {AlignRight = '\\raggedleft', AlignCenter = '\\centering'}
local SIMPLE = {AlignRight = 'r', AlignCenter = 'c'}

local function cell_latex(cell_blocks)
  local inlines = pandoc.utils.blocks_to_inlines(cell_blocks, {pandoc.Space()})
  return (latex_of_inlines(inlines):gsub('\n', ' '))
end

local function row_latex(cells)
  local out = {}
  for i, cell in ipairs(cells) do out[i] = cell_latex(cell) end
  return table.concat(out, ' & ') .. ' \\\\'
end

-- A table that must not float or break (inside a box): a `tabular`, its
-- caption (when it has a label) set with `\captionof` so it is numbered in
-- sequence with the other tables.
local function box_table(tbl)
  tbl = set_widths(tbl, fitted_widths(tbl, BOX_LINE))
  local simple = pandoc.utils.to_simple_table(tbl)
  local n = #simple.aligns
  local sized = false
  for i = 1, n do
    if (simple.widths[i] or 0) > 0 then sized = true end
  end
  local specs = {}
  for i, align in ipairs(simple.aligns) do
    if sized then
      local width = (simple.widths[i] or 0) > 0 and simple.widths[i] or 1 / n
      specs[i] = string.format('>{%s\\arraybackslash}p{\\dimexpr(\\linewidth-%d\\tabcolsep)*%d/1000\\relax}',
        RAGGED[align] or '\\raggedright', 2 * n, math.floor(width * 1000 + 0.5))
    else
      specs[i] = SIMPLE[align] or 'l'
    end
  end
  local lines = {'\\begin{booktabular}'}
  local label = tbl.identifier
  if #simple.caption > 0 then
    local caption = pandoc.Blocks({pandoc.Plain(simple.caption)})
    local short = short_caption(caption)
    local short_tex = #short > 0 and ('[' .. latex_of_inlines(short) .. ']') or ''
    if label:match('^tbl%-') then
      lines[#lines + 1] = '\\captionof{table}' .. short_tex .. '{' .. latex_of_inlines(simple.caption) .. '}\\label{' .. label .. '}'
    else
      lines[#lines + 1] = '\\captionof*{table}{' .. latex_of_inlines(simple.caption) .. '}'
    end
  end
  lines[#lines + 1] = sized and '\\begin{bookfit}' or '\\begin{bookfit}[shrink]'
  lines[#lines + 1] = '\\begin{tabular}{@{}' .. table.concat(specs) .. '@{}}'
  lines[#lines + 1] = '\\toprule'
  local has_header = false
  for _, cell in ipairs(simple.headers) do
    if #cell > 0 then has_header = true end
  end
  if has_header then
    lines[#lines + 1] = row_latex(simple.headers)
    lines[#lines + 1] = '\\midrule'
  end
  for _, row in ipairs(simple.rows) do lines[#lines + 1] = row_latex(row) end
  lines[#lines + 1] = '\\bottomrule'
  lines[#lines + 1] = '\\end{tabular}'
  lines[#lines + 1] = '\\end{bookfit}'
  lines[#lines + 1] = '\\end{booktabular}'
  return pandoc.RawBlock('latex', table.concat(lines, '\n'))
end

-- ---------------------------------------------------------------- boxes

-- Inside a callout or margin note: no floats, no longtables, no margin notes.
-- `note`: what a note becomes there (a footnote; a callout's, a mark).
local function boxed(note)
  return {
    Note = note,
    Table = function(tbl)
      local notes = caption_notes(tbl.caption)
      local out = pandoc.Blocks({box_table(tbl:walk({Note = note}))})
      if notes then out:insert(notes) end
      return out
    end,
    Figure = function(fig)
      fig.attributes['latex-placement'] = 'H'
      if not fig.classes:includes('book-boxed') then fig.classes:insert('book-boxed') end
      return fig
    end,
  }
end

-- Tables and figures first: a walk visits the notes in their captions before them.
local function in_box(blocks)
  local inside = boxed(footnote)
  return blocks:walk({Table = inside.Table, Figure = inside.Figure}):walk({Note = footnote})
end

local function count_notes(el)
  local count = 0
  el:walk({Note = function() count = count + 1 end})
  return count
end

-- A callout's content, boxed (see `in_box`), its notes as Quarto sets them:
-- `\\footnotemark{}` in the box (a footnote inside a breakable box is lost),
-- their texts (`\\footnotetext`) right after it, numbered as the marks were; a
-- nested callout's notes go after the outermost one. Notes in captions go to the
-- margin (`caption_notes`) as elsewhere, taking their numbers in between.
local function callout_box(div)
  local steps = {}  -- in the order the box steps the counter: a text, or false (a caption's note)
  local function skip(n) for _ = 1, n do steps[#steps + 1] = false end end
  local inside = boxed(function(note)
    steps[#steps + 1] = '\\footnotetext{' .. latex_of_blocks(argument_safe(note.content)) .. '}'
    return pandoc.RawInline('latex', '\\footnotemark{}')
  end)
  div.content = div.content:walk({traverse = 'topdown',
    Table = function(tbl)
      local in_caption = count_notes(tbl.caption.long)
      local out = inside.Table(tbl)  -- its cells' marks, then (after the table) its caption's notes
      skip(in_caption)
      return out, false
    end,
    Figure = function(fig)
      skip(count_notes(fig.caption.long))  -- set at the figure, by the Figure filter
      return inside.Figure(fig), false
    end,
    Note = inside.Note,
  })
  local texts = 0
  for _, step in ipairs(steps) do if step then texts = texts + 1 end end
  if texts == 0 then return div, false end
  local lines = {}
  for _, step in ipairs(steps) do lines[#lines + 1] = '\\stepcounter{footnote}' .. (step or '') end
  return {div, pandoc.RawBlock('latex', '\\addtocounter{footnote}{-' .. #steps .. '}' .. table.concat(lines, '%\n'))}, false
end

local function has_minitoc(blocks)
  local found = false
  blocks:walk({
    RawInline = function(r) if r.text:match('\\chapterminitoc') then found = true end end,
    RawBlock = function(r) if r.text:match('\\chapterminitoc') then found = true end end,
  })
  return found
end

local function margin_blocks(div)
  local out = pandoc.Blocks({})
  -- The chapter's table of contents must be marked in the text, not in the margin.
  if has_minitoc(div.content) then out:insert(pandoc.RawBlock('latex', '\\bookminitocanchor')) end
  out:insert(pandoc.RawBlock('latex', '\\begin{bookmargin}'))
  out:extend(in_box(div.content))
  out:insert(pandoc.RawBlock('latex', '\\end{bookmargin}'))
  return out
end

-- A tabset's panels follow one another, each under its tab's title: a heading,
-- unnumbered (the numbering gives it none) and kept out of the contents.
local function tabset(div)
  local level
  for _, block in ipairs(div.content) do
    if block.t == 'Header' then
      level = level or block.level
      if block.level == level and not block.classes:includes('unlisted') then block.classes:insert('unlisted') end
    end
  end
  return div
end

local function Div(div)
  -- Citations the PDF build put first so citeproc numbers works in the book's order.
  if div.classes:includes('bookbuild-citation-order') then return {} end
  if div.classes:includes('panel-tabset') then return tabset(div) end
  if is_callout(div) then return nil end  -- boxed already (callout_box)
  if is_margin(div) then return margin_blocks(div) end
end

-- ---------------------------------------------------------------- the rest

local function is_tikz(raw)
  return (raw.format == 'latex' or raw.format == 'tex') and raw.text:match('\\begin%s*{tikzpicture}') ~= nil
    and not raw.text:match('\\begin%s*{figure') and not raw.text:match('bookfit')
end

local function fit(raw, wide)
  return pandoc.RawBlock('latex', '\\begin{bookfit}' .. (wide and '[wide]' or '') .. '\n' ..
    raw.text:gsub('%s+$', '') .. '\n\\end{bookfit}')
end

local function Figure(fig)
  local inside_box = fig.classes:includes('book-boxed')
  fig.content = fig.content:walk({RawBlock = function(raw) if is_tikz(raw) then return fit(raw, not inside_box) end end})
  -- Inside the float, before its caption: the notes travel with the figure.
  local notes = caption_notes(fig.caption, true)
  if notes then fig.content:insert(notes) end
  if fig.identifier:match('^fig%-') then
    set_short_caption(fig.caption)
    label_in_caption(fig)
    return fig
  end
  -- No label: the caption is shown, unnumbered (as in HTML).
  if #fig.caption.long == 0 then
    local out = pandoc.Blocks({pandoc.RawBlock('latex', '\\begin{center}')})
    out:extend(fig.content)
    out:insert(pandoc.RawBlock('latex', '\\end{center}'))
    return out
  end
  local placement = fig.attributes['latex-placement']
  local out = pandoc.Blocks({pandoc.RawBlock('latex', '\\begin{figure}' .. (placement and ('[' .. placement .. ']') or '') .. '\n\\centering')})
  out:extend(fig.content)
  local caption = pandoc.Inlines({pandoc.RawInline('latex', '\\caption*{')})
  caption:extend(pandoc.utils.blocks_to_inlines(fig.caption.long, {pandoc.Space()}))
  caption:insert(pandoc.RawInline('latex', '}'))
  out:insert(pandoc.Plain(caption))
  out:insert(pandoc.RawBlock('latex', '\\end{figure}'))
  return out
end

local function Table(tbl)
  local notes = caption_notes(tbl.caption)
  tbl = notes_to_footnotes(tbl)  -- longtable keeps the notes of its cells
  tbl = set_widths(tbl, fitted_widths(tbl, TEXT_LINE))
  local out = pandoc.Blocks({pandoc.RawBlock('latex', '\\begin{booktable}')})
  if #tbl.caption.long > 0 and not tbl.identifier:match('^tbl%-') then
    -- No label: keep the caption, unnumbered, above the table (as a labelled one).
    local caption = tbl.caption.long
    tbl.caption.long = pandoc.Blocks({})
    local text = pandoc.Inlines({pandoc.RawInline('latex', '\\captionof*{table}{')})
    text:extend(pandoc.utils.blocks_to_inlines(caption, {pandoc.Space()}))
    text:insert(pandoc.RawInline('latex', '}'))
    out:insert(pandoc.Plain(text))
  else
    set_short_caption(tbl.caption)
  end
  out:insert(tbl)
  if notes then out:insert(notes) end
  out:insert(pandoc.RawBlock('latex', '\\end{booktable}'))
  return out
end

-- What leaves a heading (index entries, notes), by the heading's identifier:
-- it starts the paragraph after the heading instead.
local moved_out = {}

local function Header(h)
  local number = data.headers[h.identifier]
  if (number == nil or number == pandoc.json.null) and not h.classes:includes('unnumbered') then
    h.classes:insert('unnumbered')
  end
  local moved = pandoc.Inlines({})
  h.content = h.content:walk({
    RawInline = function(r) if is_index(r) or is_raw_footnote(r) then moved:insert(r); return {} end end,
    Note = function(n) moved:insert(n); return {} end,
  })
  while #h.content > 0 and h.content[#h.content].t == 'Space' do h.content:remove(#h.content) end
  if #moved > 0 then
    if h.identifier == '' then return {h, pandoc.Plain(moved)} end
    moved_out[h.identifier] = moved
  end
  return h
end

local function Blocks(blocks)
  local changed = false
  local out = pandoc.Blocks({})
  local pending = nil
  for _, block in ipairs(blocks) do
    if pending and (block.t == 'Para' or block.t == 'Plain') then
      local content = pending:clone()
      content:extend(block.content)
      block.content = content
      pending = nil
    elseif pending then
      out:insert(pandoc.Plain(pending))
      pending = nil
    end
    out:insert(block)
    if block.t == 'Header' and moved_out[block.identifier] then
      pending = moved_out[block.identifier]
      moved_out[block.identifier] = nil
      changed = true
    end
  end
  if pending then out:insert(pandoc.Plain(pending)) end
  if changed then return out end
end

local function sidenote(note)
  return pandoc.RawInline('latex', '\\booksidenote{' .. latex_of_blocks(argument_safe(note.content)) .. '}')
end

local function latex_text_of(text)
  return (pandoc.write(pandoc.Pandoc({pandoc.Plain({pandoc.Str(text)})}), 'latex'):gsub('%s+$', ''))
end

local function Link(link)
  if not link.classes:includes('quarto-xref') then return nil end
  local label = link.target:match('^#(.+)$')
  if label and data.absent and data.absent[label] then return link.content end
  -- "Figure~\\ref{fig-x}", "Theorem~\\ref{thm-x}", as Quarto writes them: LaTeX numbers
  -- figures, tables and equations as the build does (latex_crossref.py), and listings,
  -- theorems and callouts carry the build's number (\\booknumbered, codelisting's
  -- [number]). Sections keep their text, and so does a figure's part ("1.2 (a)").
  local t = label and data.targets and data.targets[label]
  local kind = label and label:match('^(%a+)%-')
  if t and t ~= pandoc.json.null and kind ~= 'sec' and t.number ~= ''
      and not t.number:match('%(') then
    local text = pandoc.utils.stringify(link.content)
    local word = text:sub(-#t.number) == t.number and text:sub(1, -#t.number - 1):gsub('[%s\u{A0}]+$', '') or nil
    if word then
      return pandoc.RawInline('latex', (word ~= '' and (latex_text_of(word) .. '~') or '') .. '\\ref{' .. label .. '}')
    end
  end
end

function Pandoc(doc)
  if book.format() ~= 'latex' then return nil end
  data = book.load(doc.meta)
  doc.blocks = doc.blocks:walk({traverse = 'topdown', Div = function(div) if is_callout(div) then return callout_box(div) end end})
  doc.blocks = doc.blocks:walk({Div = Div})
  doc.blocks = doc.blocks:walk({Figure = Figure, Table = Table, Header = Header})
  doc.blocks = doc.blocks:walk({Blocks = Blocks})
  -- `reference-location: margin` (the default): side notes; document, section, block: footnotes.
  local notes = (data.layout or {})['reference-location'] or 'margin'
  doc.blocks = doc.blocks:walk({Note = notes == 'margin' and sidenote or footnote, Link = Link})
  return doc
end
