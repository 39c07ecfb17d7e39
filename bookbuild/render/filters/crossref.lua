-- Numbering and cross-references. Numbers were computed by the build from this
-- same AST, book-wide (bookdata: `headers` by id, `targets` by label), so a
-- reference to another chapter reads and links exactly like a local one.
-- Headers get their number, figures/tables/equations a numbered caption, and
-- `@fig-…`/`@tbl-…`/`@eq-…`/`@sec-…` become links; an unknown label stays
-- visible as `?@label`.
package.path = pandoc.path.directory(PANDOC_SCRIPT_FILE) .. '/?.lua;' .. package.path
local book = require 'bookdata'

local data
-- The label prefixes a reference can point at (`fig`, `tbl`, …, callouts' `tip`,
-- …) and those of theorem-like blocks (`::: {#def-x}`, headed by their
-- target's text, "Definition 1.2"), as sets: from the build (references.py).
local XREF, THEOREM = {}, {}
local latex = book.format() == 'latex'

local function target(label)
  local t = data.targets[label]
  if t == nil or t == pandoc.json.null then return nil end
  return t
end

-- `@Fig-x` (capitalised, to start a sentence) refers to `fig-x`.
local function label_of(key)
  local kind = key:match('^(%a+)%-')
  if kind and not XREF[kind] and XREF[kind:sub(1, 1):lower() .. kind:sub(2)] then
    return key:sub(1, 1):lower() .. key:sub(2)
  end
  return key
end

local function prefix_kind(key)
  local kind = label_of(key):match('^(%a+)%-')
  return kind and XREF[kind] and kind or nil
end

-- "Figure 1.2:": the book's caption word (`crossref: fig-title`) and delimiter (`title-delim`).
local function caption_lead(kind, number)
  local word = data.crossref.titles[kind] or kind
  return (word ~= '' and (word .. '\u{A0}') or '') .. number .. data.crossref.title_delim
end

-- The caption's lead as plain text, as Quarto writes it (a book's CSS for Quarto
-- expects no element around it).
local function number_span(kind, label)
  local t = target(label)
  if not t or t.number == '' then return nil end
  -- A part of a figure ("1.2 (a)") is captioned by its letter alone.
  local part = t.number:match('%((%w+)%)$')
  if part then return pandoc.Str('(' .. part .. ')') end
  return pandoc.Str(caption_lead(kind, t.number))
end

local function with_number(caption_blocks, kind, label)
  local span = number_span(kind, label)
  local blocks = book.plain(caption_blocks)
  if not span or latex then return blocks end
  if #blocks == 0 then return pandoc.Blocks({pandoc.Plain({span})}) end
  local first = blocks[1]
  if first.content then
    first.content:insert(1, pandoc.Space())
    first.content:insert(1, span)
  end
  return blocks
end

local function apply_alt(blocks, alt)
  return blocks:walk({Image = function(img)
    local own = img.attributes['fig-alt']
    img.attributes['fig-alt'] = nil
    if own or alt then
      img.attributes['alt'] = own or alt
    elseif not img.attributes['alt'] then
      -- Pandoc's default alt text is the caption's text, notes included: not the notes.
      local text = pandoc.utils.stringify(img.caption:walk({Note = function() return {} end}))
      if text ~= '' then img.attributes['alt'] = text end
    end
    return img
  end})
end

local function Header(h)
  local number = data.headers[h.identifier]
  if number and number ~= pandoc.json.null and not latex then
    local label = pandoc.Span({pandoc.Str(number)}, {class = 'header-section-number'})
    if h.level == 1 and data.appendix then
      -- The label reads "Appendix A" (`crossref: appendix-title`), followed by the
      -- book's `appendix-delim` when it sets one (the label stands above the title).
      local c = data.crossref
      local text = (c.appendix_title ~= '' and (c.appendix_title .. '\u{A0}') or '') .. number
      if c.appendix_delim ~= pandoc.json.null then text = text .. c.appendix_delim end
      label = pandoc.Span({pandoc.Str(text)}, {class = 'header-section-number appendix-number'})
    end
    local lead = pandoc.Inlines({label, pandoc.Space()})
    lead:extend(h.content)
    h.content = lead
  end
  if h.level == 1 then h.classes:insert('chapter-title') end
  if not latex and h.identifier ~= '' then
    -- Quarto's heading inside its section (the id is the section's).
    h.classes:insert('anchored')
    h.attributes['data-anchor-id'] = h.identifier
  end
  return h
end

-- `::: {#fig-x fig-cap="…" fig-alt="…"}` (or a last paragraph as the caption).
-- "**Definition 1.2 (Name).**" runs into the block's first paragraph; the name
-- is the `name` attribute or the block's first heading.
-- LaTeX environments of the theorem kinds (amsthm, theme/latex-preamble.tex), as Quarto names them.
local THEOREM_ENV = {thm = 'theorem', lem = 'lemma', cor = 'corollary', prp = 'proposition', cnj = 'conjecture',
  def = 'definition', exm = 'example', exr = 'exercise'}

local function latex_of(inlines)
  return (pandoc.write(pandoc.Pandoc({pandoc.Plain(inlines)}), 'latex'):gsub('%s+$', ''))
end

-- A list, a table, … right after `\begin{env}[…]` needs a paragraph started first.
local function leave_vmode(content)
  local first = 1
  while content[first] and content[first].t == 'RawBlock' do first = first + 1 end
  local block = content[first]
  return (block and block.t ~= 'Para' and block.t ~= 'Plain') and '\n\\leavevmode' or ''
end

-- `\booknumbered{1.2}\label{x}` (the preamble's): \ref{x} prints the build's number.
local function numbered_label(label)
  local t = target(label)
  local number = t and t.number ~= '' and ('\\booknumbered{' .. t.number .. '}') or ''
  return number .. '\\label{' .. label .. '}'
end

-- In LaTeX: `\begin{theorem}[Name]` with its anchor, headed "Theorem 1.2" (the
-- book's number, through \booktheoremname) unless the book defines the environment itself.
local function latex_theorem(div, kind, text, name, content)
  local env = THEOREM_ENV[kind] or 'theorem'
  local out = pandoc.Blocks({pandoc.RawBlock('latex', '\\renewcommand\\booktheoremname{' .. latex_of({pandoc.Str(text)}) ..
    '}\\begin{' .. env .. '}[' .. (name and latex_of(name) or '') .. ']' .. leave_vmode(content) ..
    '\n\\protect\\hypertarget{' .. div.identifier .. '}{}' .. numbered_label(div.identifier))})
  out:extend(content)
  out:insert(pandoc.RawBlock('latex', '\\end{' .. env .. '}'))
  return out
end

-- A theorem's or proof's content and name: `name="…"`, else its first heading (taken out of the content).
local function named_content(div)
  local content = div.content:clone()
  local name = div.attributes.name and book.markdown_inlines(div.attributes.name) or nil
  if not name and #content > 0 and content[1].t == 'Header' then
    name = content[1].content
    content:remove(1)
  end
  return content, name
end

local function theorem(div)
  local content, name = named_content(div)
  local t = target(div.identifier)
  local kind = div.identifier:match('^(%a+)%-')
  -- "Definition 1.2": the caption word (`crossref: def-title`), as Quarto heads a theorem.
  local text = t and t.number ~= '' and ((data.crossref.titles[kind] or kind) .. ' ' .. t.number) or (t and t.text)
  if latex and THEOREM_ENV[kind] then return latex_theorem(div, kind, text or div.identifier, name, content) end
  if latex then
    -- A kind with no environment of its own here (`alg`: LaTeX's `algorithm` is a float): a bold lead, and an anchor.
    content:insert(1, pandoc.RawBlock('latex', '\\phantomsection\\label{' .. div.identifier .. '}'))
  end
  local head = pandoc.Inlines({pandoc.Str(text or div.identifier)})
  if name then
    head:insert(pandoc.Space())
    head:insert(pandoc.Str('('))
    head:extend(name)
    head:insert(pandoc.Str(')'))
  end
  head:insert(pandoc.Str('.'))
  local lead = pandoc.Span({pandoc.Strong(head)}, {class = 'theorem-title'})
  local first = 1  -- the first block of text (the PDF build puts source markers before blocks)
  while content[first] and content[first].t == 'RawBlock' do first = first + 1 end
  local block = content[first]
  if block and (block.t == 'Para' or block.t == 'Plain') then
    block.content:insert(1, pandoc.Space())
    block.content:insert(1, lead)
  else
    content:insert(first, pandoc.Para({lead}))
  end
  div.content = content
  div.attributes.name = nil
  div.classes:insert('theorem')
  return div
end

-- The caption of a figure-like div: its `KEY-cap` attribute, or its last paragraph
-- (when something comes before it); returns (caption blocks, the other content).
local function div_caption(div, key)
  local content = div.content
  if div.attributes[key .. '-cap'] then
    return pandoc.read(div.attributes[key .. '-cap'], 'markdown').blocks, content
  elseif #content > 1 and content[#content].t == 'Para' then
    local caption = pandoc.Blocks({content[#content]})
    content = content:clone()
    content:remove(#content)
    return caption, content
  end
  return pandoc.Blocks({}), content
end

-- `::: {#vid-x}` for a float kind of the book's own (`crossref: custom:`): numbered
-- and captioned like a figure ("Video 1.2: …"); in LaTeX its own float
-- environment (`latex-env`, declared in the preamble), kept in place.
local function custom_float(div, key, spec)
  local caption, content = div_caption(div, key)
  if latex then
    local out = pandoc.Blocks({pandoc.RawBlock('latex', '\\begin{' .. spec.latex_env .. '}[H]\n\\centering')})
    out:extend(content)
    local text = pandoc.Inlines({pandoc.RawInline('latex', '\\caption{')})
    text:extend(pandoc.utils.blocks_to_inlines(caption, {pandoc.Space()}))
    text:insert(pandoc.RawInline('latex', '}\\label{' .. div.identifier .. '}'))
    out:insert(pandoc.Plain(text))
    out:insert(pandoc.RawBlock('latex', '\\end{' .. spec.latex_env .. '}'))
    return out
  end
  local attr = pandoc.Attr(div.identifier, {'figure', 'float-' .. key}, {})
  return pandoc.Figure(book.plain(content), {long = with_number(caption, key, div.identifier)}, attr)
end

local latex_table_div  -- defined below, after Table

-- `layout-ncol=N`, `layout="[[1,1],[1]]"`, …: the float's parts in a panel (floats.lua, panels.lua).
local LAYOUT_KEYS = {'layout', 'layout-ncol', 'layout-nrow', 'layout-align', 'layout-valign'}

local function keep_layout(div, attr)
  for _, key in ipairs(LAYOUT_KEYS) do attr.attributes[key] = div.attributes[key] end
  return attr
end
-- In LaTeX, a table float whose content is not one table (a picture, text): Quarto's
-- `\begin{table}` with `\caption{\label{tbl-x}…}` above the content, kept in place
-- (it may stand in a callout), numbered by LaTeX with the other tables.
local function latex_table_float(label, content, caption)
  local text = pandoc.Inlines({pandoc.RawInline('latex', '\\caption{\\label{' .. label .. '}')})
  text:extend(pandoc.utils.blocks_to_inlines(caption, {pandoc.Space()}))
  text:insert(pandoc.RawInline('latex', '}'))
  local out = pandoc.Blocks({pandoc.RawBlock('latex', '\\begin{table}[H]\n\\centering'), pandoc.Plain(text)})
  out:extend(content)
  out:insert(pandoc.RawBlock('latex', '\\end{table}'))
  return out
end
local listing_div  -- defined below, with the listings

-- `::: {#tbl-x}` around a table (or anything) with its caption as the last
-- paragraph, `tbl-cap`, or the table's own caption: a table float (floats.lua).
local function table_div(div)
  local caption, content = div_caption(div, 'tbl')
  if #caption == 0 then
    -- A raw HTML table's own <caption>.
    content = content:walk({RawBlock = function(raw)
      local text = #caption == 0 and raw.format == 'html' and raw.text:match('<caption[^>]*>(.-)</caption>')
      if text then
        caption = pandoc.read(text, 'html').blocks
        raw.text = raw.text:gsub('<caption[^>]*>.-</caption>%s*', '', 1)
        return raw
      end
    end})
  end
  if #caption == 0 then
    content = content:walk({Table = function(tbl)
      if #caption == 0 and #tbl.caption.long > 0 then
        caption = tbl.caption.long
        tbl.caption.long = pandoc.Blocks({})
        return tbl
      end
    end})
  end
  return pandoc.Figure(book.plain(content), {long = with_number(caption, 'tbl', div.identifier)},
    keep_layout(div, pandoc.Attr(div.identifier, {'table'}, {})))
end

-- `::: {.proof}`, `.remark`, `.solution` (unnumbered; `name="…"` or a first heading
-- names it): "*Proof.*" runs into the first paragraph, in `span.proof-title` as in
-- Quarto; in LaTeX amsthm's `proof` and the preamble's `remark` and `solution`.
local PROOF_WORDS = {proof = 'Proof', remark = 'Remark', solution = 'Solution'}

local function proof(div, class)
  local content, name = named_content(div)
  div.attributes.name = nil
  if latex then
    local out = pandoc.Blocks({pandoc.RawBlock('latex', '\\begin{' .. class .. '}' ..
      (name and ('[' .. latex_of(name) .. ']') or '') .. leave_vmode(content))})
    out:extend(content)
    out:insert(pandoc.RawBlock('latex', '\\end{' .. class .. '}'))
    return out
  end
  -- "*Solution* (name). ", as Quarto heads all three in HTML; the div is also a `.proof`.
  local title = pandoc.Inlines({pandoc.Emph({pandoc.Str(PROOF_WORDS[class])})})
  if class ~= 'proof' and not div.classes:includes('proof') then div.classes:insert('proof') end
  if name then
    title:extend({pandoc.Space(), pandoc.Str('(')})
    title:extend(name)
    title:insert(pandoc.Str(')'))
  end
  title:extend({pandoc.Str('.'), pandoc.Space()})
  local lead = pandoc.Span(title, {class = 'proof-title'})
  local block = content[1]
  if block and (block.t == 'Para' or block.t == 'Plain') then
    block.content:insert(1, lead)
  else
    content:insert(1, pandoc.Para({lead}))
  end
  div.content = content
  return div
end

local function Div(div)
  for class in pairs(PROOF_WORDS) do
    if div.classes:includes(class) then return proof(div, class) end
  end
  local kind = div.identifier:match('^(%a+)%-')
  local custom = kind and data.crossref.custom[kind]
  if custom and custom ~= pandoc.json.null then return custom_float(div, kind, custom) end
  if kind and THEOREM[kind] then
    for _, class in ipairs(div.classes) do
      -- `::: {#def-x .callout-definition}`: a callout, labelled "Definition 1.2" by the callouts filter.
      if class:match('^callout%-') then return nil end
    end
    return theorem(div)
  end
  if kind == 'lst' then return listing_div(div) end
  if kind == 'tbl' then
    if latex then return latex_table_div(div) end
    return table_div(div)
  end
  if not div.identifier:match('^fig%-') then return nil end
  local caption, content = div_caption(div, 'fig')
  content = apply_alt(book.plain(content), div.attributes['fig-alt'])
  -- The div's own classes (`::: {#fig-x .border}`) stay on the float (floats.lua).
  local classes = pandoc.List({'figure'})
  if not latex then classes:extend(div.classes) end
  local attr = pandoc.Attr(div.identifier, classes, {})
  if latex and div.attributes['fig-pos'] then attr.attributes['latex-placement'] = div.attributes['fig-pos'] end
  if not latex then keep_layout(div, attr) end
  return pandoc.Figure(content, {long = with_number(caption, 'fig', div.identifier)}, attr)
end

local function Figure(fig)
  if fig.identifier:match('^fig%-') and not fig.classes:includes('figure') then
    fig.classes:insert('figure')
    fig.caption.long = with_number(fig.caption.long, 'fig', fig.identifier)
  elseif fig.identifier:match('^tbl%-') and latex then
    return latex_table_float(fig.identifier, fig.content, fig.caption.long)
  elseif fig.identifier:match('^tbl%-') and not fig.classes:includes('table') then
    -- `![caption](x.png){#tbl-x}`: a table float whose content is a picture.
    fig.classes:insert('table')
    fig.caption.long = with_number(fig.caption.long, 'tbl', fig.identifier)
  end
  fig.content = apply_alt(fig.content, nil)
  return fig
end

-- A paragraph of one picture that is a figure: `![](x.png){#fig-x}` with no caption
-- is not a Figure to Pandoc; make it one.
local function figure_para(para)
  -- `[![caption](x.png){#fig-x}](url)`: a figure (or table float) whose picture is a link.
  local link = #para.content == 1 and para.content[1].t == 'Link' and para.content[1]
  local img = link and #link.content == 1 and link.content[1].t == 'Image' and link.content[1]
  local kind = img and img.identifier:match('^(%a+)%-')
  if img and not kind and img.identifier == '' and #img.caption > 0 and not latex then
    -- Unlabelled, with a caption: an unnumbered figure, as Quarto makes it.
    local content = apply_alt(pandoc.Blocks({pandoc.Plain({link})}), nil)
    return pandoc.Figure(content, {long = pandoc.Blocks({pandoc.Plain(img.caption)})}, pandoc.Attr('', {}))
  end
  if kind == 'fig' or (kind == 'tbl' and not latex) then
    local label = img.identifier
    img.identifier = ''
    local caption = pandoc.Blocks({pandoc.Plain(img.caption)})
    local content = apply_alt(pandoc.Blocks({pandoc.Plain({link})}), nil)
    return pandoc.Figure(content, {long = with_number(#img.caption > 0 and caption or pandoc.Blocks({}), kind, label)},
      pandoc.Attr(label, {kind == 'fig' and 'figure' or 'table'}))
  end
  if #para.content == 1 and para.content[1].t == 'Image' and para.content[1].identifier:match('^fig%-') then
    local img = para.content[1]
    local label = img.identifier
    img.identifier = ''
    local content = apply_alt(pandoc.Blocks({pandoc.Plain({img})}), nil)
    return pandoc.Figure(content, {long = with_number(pandoc.Blocks({}), 'fig', label)}, pandoc.Attr(label, {'figure'}))
  end
end

-- Whether the document holds a picture, display math: set by the Image and Math
-- handlers, which see the whole document before Para does (a filter's inline
-- functions run first), so most paragraphs are ruled out without marshalling
-- their inlines (the bulk of this filter's time on a long chapter).
local has_image, has_display_math = false, false

local function Image() has_image = true end
local function Math(el)
  if el.mathtype == 'DisplayMath' then has_display_math = true end
end

local function Para(para)
  if has_image then
    local figure = figure_para(para)
    if figure then return figure end
  end
  -- `$$ … $$ {#eq-x}`: the label is a Str right after the display math, so its
  -- text is in the paragraph's; most paragraphs hold none.
  if not has_display_math or not pandoc.utils.stringify(para):find('{#eq-', 1, true) then return nil end
  local content = para.content
  local out, current, changed = pandoc.Blocks({}), pandoc.Inlines({}), false
  local i = 1
  while i <= #content do
    local el = content[i]
    local j = i + 1
    while j <= #content and (content[j].t == 'Space' or content[j].t == 'SoftBreak') do j = j + 1 end
    local nxt = content[j]
    local label = nxt and nxt.t == 'Str' and nxt.text:match('^{#(eq%-[^%s}]+)}$')
    if not label and nxt and nxt.t == 'Str' and el.t == 'Math' and el.mathtype == 'DisplayMath' then
      -- `$$ … $$ {#eq-x alt="…"}`: the attributes run over several inlines, up to the closing brace.
      label = nxt.text:match('^{#(eq%-[^%s}]+)$')
      if label then
        local k = j + 1
        while k <= #content and not pandoc.utils.stringify(content[k]):match('}$') do k = k + 1 end
        if k > #content then label = nil else j = k end
      end
    end
    if el.t == 'Math' and el.mathtype == 'DisplayMath' and label then
      if #current > 0 then out:insert(pandoc.Para(current)) end
      current = pandoc.Inlines({})
      local t = target(label)
      if latex then
        out:insert(pandoc.RawBlock('latex', '\\begin{equation}\\protect\\phantomsection\\label{' .. label .. '}\n' ..
          (el.text:gsub('^%s+', ''):gsub('%s+$', '')) .. '\n\\end{equation}'))
      else
        -- Quarto's `span#eq-x > span.math`, with the number beside it.
        local number = t and t.number or '?'
        out:insert(pandoc.Para({pandoc.Span({pandoc.Span({el}, {class = 'math display'}), pandoc.Space(),
          pandoc.Span({pandoc.Str('(' .. number .. ')')}, {class = 'equation-number'})}, pandoc.Attr(label, {'equation'}))}))
      end
      changed = true
      i = j + 1
    else
      current:insert(el)
      i = i + 1
    end
  end
  if not changed then return nil end
  while #current > 0 and (current[1].t == 'Space' or current[1].t == 'SoftBreak') do current:remove(1) end
  if #current > 0 then out:insert(pandoc.Para(current)) end
  return out
end

-- Quarto's table classes (Bootstrap's names, styled by book.css): `.striped` is
-- `table-striped`, …; `.responsive` asks for a `div.table-responsive` around it.
local BOOTSTRAP = {striped = true, hover = true, bordered = true, borderless = true, sm = true,
  primary = true, secondary = true, success = true, danger = true, warning = true, info = true, light = true, dark = true}
local table_caption_top = true

local function html_table_classes(tbl)
  local responsive = false
  local classes = pandoc.List({})
  for _, class in ipairs(tbl.classes) do
    if BOOTSTRAP[class] then classes:insert('table-' .. class)
    elseif class == 'responsive' or class:match('^responsive%-') then responsive = 'table-' .. class
    else classes:insert(class) end
  end
  if #tbl.caption.long > 0 and table_caption_top and not classes:includes('caption-top') then classes:insert('caption-top') end
  tbl.classes = classes
  -- Body rows are `odd` and `even`, as Quarto marks them for striping.
  for _, body in ipairs(tbl.bodies) do
    for n, row in ipairs(body.body) do
      row.attr.classes = row.attr.classes:filter(function(c) return c ~= 'odd' and c ~= 'even' end)
      row.attr.classes:insert(n % 2 == 1 and 'odd' or 'even')
    end
  end
  return responsive
end

local function Table(tbl)
  if tbl.identifier:match('^tbl%-') then
    tbl.caption.long = with_number(tbl.caption.long, 'tbl', tbl.identifier)
  end
  if latex then return tbl end
  local responsive = html_table_classes(tbl)
  local label = tbl.identifier
  local caption
  if label:match('^tbl%-') then
    -- A table float (floats.lua): the caption above the table, outside it.
    caption = tbl.caption.long
    tbl.caption.long = pandoc.Blocks({})
    tbl.classes = tbl.classes:filter(function(c) return c ~= 'caption-top' end)
    tbl.identifier = ''
  end
  local block = responsive and pandoc.Div({tbl}, {class = responsive}) or tbl
  if caption then
    return pandoc.Figure({pandoc.Div({block}, {class = 'table-wrap'})}, {long = caption}, pandoc.Attr(label, {'table'}))
  end
  tbl = block
  return pandoc.Div({tbl}, {class = 'table-wrap'})
end

-- The tables in an HTML table a cell displayed (a pandas DataFrame), read into Pandoc's, as Quarto does.
local function html_tables(text)
  local found = pandoc.Blocks({})
  pandoc.read(text, 'html').blocks:walk({Table = function(t) found:insert(t) end})
  return found
end

-- A raw HTML `<table>` is read as a table, as Quarto does, so it is numbered,
-- captioned and styled like one (`data-quarto-disable-processing="true"` keeps it raw).
-- In LaTeX, where raw HTML would be dropped, any displayed HTML table becomes a real table.
local function RawBlock(raw)
  if raw.format ~= 'html' then return nil end
  local text = raw.text
  if latex then
    if not text:match('<[Tt][Aa][Bb][Ll][Ee]') then return nil end
    local tables = html_tables(text)
    if #tables > 0 then return tables end
    return nil
  end
  if not text:match('^%s*<table') or not text:match('</table>%s*$') or text:match('data%-quarto%-disable%-processing="true"') then
    return nil
  end
  local ok, doc = pcall(pandoc.read, text, 'html')
  if not ok or #doc.blocks ~= 1 or doc.blocks[1].t ~= 'Table' then return nil end
  return Table(doc.blocks[1])
end

-- In LaTeX, `::: {#tbl-x}` around one table (a displayed HTML one too) and its caption: that table, numbered.
latex_table_div = function(div)
  local caption, content = div_caption(div, 'tbl')
  local tables = pandoc.Blocks({})
  for _, block in ipairs(content) do
    if block.t == 'Table' then tables:insert(block)
    elseif block.t == 'RawBlock' and block.format == 'html' then tables:extend(html_tables(block.text))
    end
  end
  if #tables ~= 1 then return latex_table_float(div.identifier, content, caption) end
  local tbl = tables[1]
  tbl.identifier = div.identifier
  tbl.caption.long = caption
  return Table(tbl)
end

-- A listing (`#lst-x`): its number and caption above the code by default
-- (`lst-cap-location: bottom` below). HTML: a listing float (floats.lua),
-- "Listing 1.2: caption". LaTeX: Quarto's `codelisting` (the preamble's, set in
-- place), `\caption{\label{lst-x}caption}`, headed with the build's number.
local function listing(label, blocks, caption, location)
  local t = target(label)
  local number = t and t.number or ''
  if not latex then
    local head = pandoc.Inlines({})
    if number ~= '' then head:insert(pandoc.Str(caption_lead('lst', number))) end
    if caption and #caption > 0 then
      if #head > 0 then head:insert(pandoc.Space()) end
      head:extend(caption)
    end
    local attr = pandoc.Attr(label, {'listing'}, {})
    attr.attributes['lst-cap-location'] = location
    return pandoc.Figure(blocks, {long = #head > 0 and pandoc.Blocks({pandoc.Plain(head)}) or pandoc.Blocks({})}, attr)
  end
  local text = pandoc.Inlines({pandoc.RawInline('latex', '\\caption{\\label{' .. label .. '}')})
  text:extend(caption or pandoc.Inlines({}))
  text:insert(pandoc.RawInline('latex', '}'))
  local out = pandoc.Blocks({pandoc.RawBlock('latex', '\\begin{codelisting}' .. (number ~= '' and ('[' .. number .. ']') or ''))})
  if location ~= 'bottom' then out:insert(pandoc.Plain(text)) end
  out:extend(blocks)
  if location == 'bottom' then out:insert(pandoc.Plain(text)) end
  out:insert(pandoc.RawBlock('latex', '\\end{codelisting}'))
  return out
end

-- ```` ```{.python #lst-x lst-cap="…"} ````: the code block is the listing.
local function CodeBlock(code)
  local label = code.identifier
  if not label:match('^lst%-') then return nil end
  local caption = code.attributes['lst-cap']
  local location = code.attributes['lst-cap-location']
  code.attributes['lst-cap'] = nil
  code.attributes['lst-cap-location'] = nil
  code.identifier = ''
  return listing(label, pandoc.Blocks({code}), caption and book.markdown_inlines(caption) or nil, location)
end

-- `::: {#lst-x}` around the code, its caption `lst-cap="…"` or the last paragraph.
listing_div = function(div)
  local caption, content = div_caption(div, 'lst')
  local inlines = #caption > 0 and pandoc.utils.blocks_to_inlines(caption, {pandoc.Space()}) or nil
  return listing(div.identifier, content, inlines, div.attributes['lst-cap-location'])
end

local function Cite(cite)
  for _, c in ipairs(cite.citations) do
    if not prefix_kind(c.id) then return nil end
  end
  local out = pandoc.Inlines({})
  for n, c in ipairs(cite.citations) do
    if n > 1 then out:insert(pandoc.Str(', ')) end
    -- `[Fig. -@fig-x]` reads "Fig. 1.2"; `[see @fig-x, left]` "see Figure 1.2, left".
    if #c.prefix > 0 then
      out:extend(c.prefix)
      out:insert(pandoc.Space())
    end
    local t = target(label_of(c.id))
    if not t then
      out:insert(pandoc.Span({pandoc.Str('?@' .. c.id)}, {class = 'xref-unresolved'}))
    else
      local text = t.text
      if c.mode == 'SuppressAuthor' and t.number ~= '' then text = t.number
      elseif not latex and t.number ~= '' and text:sub(-#t.number - 1) == ' ' .. t.number then
        -- "Figure 1.2" never breaks between the word and the number, as in Quarto.
        text = text:sub(1, -#t.number - 2) .. '\u{A0}' .. t.number
      end
      if data.crossref.ref_hyperlink == false and not latex then
        out:insert(pandoc.Str(text))  -- `ref-hyperlink: false`: the words alone
      else
        out:insert(pandoc.Link({pandoc.Str(text)}, t.href, '', {class = 'quarto-xref'}))
      end
    end
    out:extend(c.suffix)
  end
  return out
end

return {
  {Meta = function(meta)
    data = book.load(meta)
    local where = data.cap_locations and data.cap_locations ~= pandoc.json.null and data.cap_locations.tbl
    if where and where ~= pandoc.json.null then table_caption_top = where ~= 'bottom' end
    for _, kind in ipairs(data.xref_kinds) do XREF[kind] = true end
    for _, kind in ipairs(data.theorem_kinds) do THEOREM[kind] = true end
  end},
  {Header = Header, Div = Div, Figure = Figure, Para = Para, Table = Table, RawBlock = RawBlock, CodeBlock = CodeBlock, Cite = Cite,
    Image = Image, Math = Math},
}
