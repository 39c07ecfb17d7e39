-- Quarto's escape for showing a cell's fence without running it, inside code:
-- ```{{python}} in a code block shows as ```{python} (one pair of braces less:
-- ```{{{julia}}} as ```{{julia}}), and an inline `{{python}} 1 + 2` as
-- `{python} 1 + 2`. A block that names no language is then shown as Markdown.
-- (A fence of its own, ```{{python}}, is turned into such a block before Pandoc
-- reads the chapter: render/markdown.py.)
local FENCE = '```{({+[^<}]+}+)}'

local function code_block(el)
  local text, count = el.text:gsub(FENCE, '```%1')
  if count == 0 then return nil end
  el.text = text
  if #el.classes == 0 then el.classes:insert(1, 'markdown') end
  return el
end

local function code(el)
  if el.text:match('^{{+<') then return nil end  -- an escaped shortcode, shown as written
  local text = el.text:gsub('^{({+[^<}]+}+)}', '%1'):gsub('^(`+){({+[^<}]+}+)}', '%1%2')
  if text == el.text then return nil end
  el.text = text
  return el
end

return {{CodeBlock = code_block, Code = code}}
