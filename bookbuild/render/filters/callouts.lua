-- Callouts: `::: {.callout-KIND title="…" collapse="true|false"}`. Label, colour,
-- icon, `collapse`, appearance and numbering of each kind come from the book's
-- callout styles (theme/callouts.yml under the book's configuration, via
-- bookdata), so HTML and LaTeX style them alike. `collapse` (the div's, else the
-- kind's) makes a disclosure (closed when "true", open when "false"); a first
-- heading inside may serve as the title.
package.path = pandoc.path.directory(PANDOC_SCRIPT_FILE) .. '/?.lua;' .. package.path
local book = require 'bookdata'

local data

local function style_of(kind)
  local styles = data.callouts
  local s = styles.kinds[kind]
  if s == nil or s == pandoc.json.null then s = styles.default end
  return s
end

local function kind_of(div)
  for _, class in ipairs(div.classes) do
    local kind = class:match('^callout%-(.+)$')
    if kind then return kind end
  end
  -- `::: {.callout}`, a callout of no kind (as in Quarto): the default style.
  if div.classes:includes('callout') then return 'default' end
end

local function title_of(div)
  local content = div.content
  if div.attributes.title then
    return book.markdown_inlines(div.attributes.title), content
  end
  if #content > 0 and content[1].t == 'Header' then
    local rest = content:clone()
    rest:remove(1)
    return content[1].content, rest
  end
  return pandoc.Inlines({}), content
end

local function html_callout(div, kind, style, title, body)
  local collapse = div.attributes.collapse or style.collapse
  local open_tag, close_tag, head_open, head_close
  local color = book.escape_html(style.color or '')
  -- Quarto's classes: `callout-style-default|simple|minimal` (`appearance`; the
  -- lighter boxes), the kind, `callout-titled` when it has a title, `icon="false"`.
  local appearance = div.attributes.appearance or style.appearance
  if appearance ~= 'simple' and appearance ~= 'minimal' then appearance = 'default' end
  local classes = 'callout callout-style-' .. appearance .. ' callout-' .. kind
  if #title > 0 then classes = classes .. ' callout-titled' end
  local icon = div.attributes.icon ~= 'false'
  if not icon then classes = classes .. ' callout-no-icon' end
  for _, class in ipairs(div.classes) do
    if not class:match('^callout%-') then classes = classes .. ' ' .. book.escape_html(class) end
  end
  -- Its id, when it has one, so a link or a reference lands on it.
  local id = div.identifier ~= '' and (' id="' .. book.escape_html(div.identifier) .. '"') or ''
  if book.format() == 'epub' then
    -- E-readers: always open (few show <details>), styled by kind from the EPUB's stylesheet
    -- (no inline style), the label's words saying what kind it is on a grey screen too.
    open_tag = '<div' .. id .. ' class="' .. classes .. '" data-callout="' .. book.escape_html(kind) .. '" role="note">'
    head_open, head_close, close_tag = '<div class="callout-header">', '</div>', '</div>'
  elseif collapse == 'true' or collapse == 'false' then
    open_tag = '<details' .. id .. ' class="' .. classes .. '" data-callout="' .. book.escape_html(kind) ..
      '" style="--callout-color: ' .. color .. '"' .. (collapse == 'false' and ' open' or '') .. '>'
    head_open, head_close, close_tag = '<summary class="callout-header">', '</summary>', '</details>'
  else
    open_tag = '<div' .. id .. ' class="' .. classes .. '" data-callout="' .. book.escape_html(kind) ..
      '" style="--callout-color: ' .. color .. '">'
    head_open, head_close, close_tag = '<div class="callout-header">', '</div>', '</div>'
  end
  -- Quarto's header: div.callout-icon-container > i.callout-icon, then div.callout-title-container
  -- (here the kind's label stays visible before the title). A titled callout that is
  -- not numbered names its kind to screen readers in a `span.screen-reader-only`, as
  -- Quarto does; the visible label is then hidden from them, so it is read once.
  local label = book.escape_html(style.label or kind)
  local spoken = #title > 0 and div.identifier:match('^%a%a%a%-') == nil and book.format() == 'html'
  local header = pandoc.Inlines({pandoc.RawInline('html', head_open ..
    (icon and ('<div class="callout-icon-container"><i class="callout-icon" aria-hidden="true">' .. (style.icon_svg or '') ..
      '</i></div>') or '') ..
    '<div class="callout-title-container">' .. (spoken and ('<span class="screen-reader-only">' .. label .. '</span>') or '') ..
    '<span class="callout-label"' .. (spoken and ' aria-hidden="true"' or '') .. '>' .. label .. '</span>')})
  if #title > 0 then
    header:insert(pandoc.RawInline('html', '<span class="callout-title">'))
    header:extend(title)
    header:insert(pandoc.RawInline('html', '</span>'))
  end
  header:insert(pandoc.RawInline('html', '</div>' .. head_close))
  local out = pandoc.Blocks({pandoc.RawBlock('html', open_tag), pandoc.Plain(header),
    pandoc.RawBlock('html', '<div class="callout-body-container callout-body">')})
  out:extend(body)
  out:insert(pandoc.RawBlock('html', '</div>' .. close_tag))
  return out
end

local function latex_text(inlines)
  return (pandoc.write(pandoc.Pandoc({pandoc.Plain(inlines)}), 'latex'):gsub('%s+$', ''):gsub('\n', ' '))
end

-- `\begin{bookcallout}{<palette colour>}{<label>}{<title>}`: the environment is
-- defined in theme/latex-preamble.tex (black when the colour is not defined).
local function latex_callout(div, kind, style, title, body)
  local env = 'bookcallout'
  local label = latex_text(pandoc.Inlines({pandoc.Str(style.label or kind)}))
  local color = tostring(style.latex_color or 'black'):gsub('[^%w]', '')
  -- The icon, a PDF the build made from the same SVG as the website's (optional).
  local icon = ''
  if style.icon_pdf and div.attributes.icon ~= 'false' then icon = '[' .. style.icon_pdf .. ']' end
  -- Its number for \\ref (`\\booknumbered`, the preamble's), when it has one.
  local t = div.identifier ~= '' and data.targets and data.targets[div.identifier]
  local number = t and t ~= pandoc.json.null and t.number ~= '' and ('\\booknumbered{' .. t.number .. '}') or '\\phantomsection'
  local anchor = div.identifier ~= '' and (number .. '\\label{' .. div.identifier .. '}') or ''
  -- A kind coloured with the book's own hex (not a palette name) defines its colour here.
  local define = ''
  if style.latex_define then
    define = '\\definecolor{' .. color .. '}{HTML}{' .. tostring(style.latex_define):gsub('[^%x]', '') .. '}'
  end
  -- Drawn in Quarto's colour name for the kind (`quarto-callout-note-color`), which is
  -- the kind's colour unless the book's own LaTeX defines it (\\bookcalloutcolorname).
  local name = kind == 'default' and 'quarto-callout-color' or ('quarto-callout-' .. kind:gsub('[^%w%-]', '') .. '-color')
  define = define .. '\\bookcalloutcolorname{' .. name .. '}{' .. color .. '}'
  local out = pandoc.Blocks({pandoc.RawBlock('latex', define ..
    '\\begin{' .. env .. '}' .. icon .. '{' .. name .. '}{' .. label .. '}{' .. latex_text(title) .. '}' .. anchor)})
  out:extend(body)
  out:insert(pandoc.RawBlock('latex', '\\end{' .. env .. '}'))
  return out
end

-- A callout with a cross-reference id (`#tip-x`) is labelled with its number:
-- the reference's own text, "Tip 1.2".
local function numbered(style, div)
  local t = data.targets and data.targets[div.identifier]
  if style.numbered == false then return style end
  if not div.identifier:match('^%a%a%a%-') or t == nil or t == pandoc.json.null or t.number == '' then return style end
  local copy = {}
  for key, value in pairs(style) do copy[key] = value end
  copy.label = t.text
  return copy
end

local function Div(div)
  local kind = kind_of(div)
  if not kind then return nil end
  local style = numbered(style_of(kind), div)
  local title, body = title_of(div)
  if book.format() == 'latex' then return latex_callout(div, kind, style, title, body) end
  return html_callout(div, kind, style, title, body)
end

return {
  {Meta = function(meta) data = book.load(meta) end},
  {Div = Div},
}
