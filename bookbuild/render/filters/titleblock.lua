-- A chapter's `subtitle:` (its front matter's, shortcodes expanded: the build
-- passes it as Markdown) under the chapter's title, as Quarto's title block
-- shows it: a `p.subtitle.lead` after the level-1 heading (first, without one).
package.path = pandoc.path.directory(PANDOC_SCRIPT_FILE) .. '/?.lua;' .. package.path
local book = require 'bookdata'

function Pandoc(doc)
  local text = book.load(doc.meta).subtitle
  if type(text) ~= 'string' or text == '' then return nil end
  local inlines = pandoc.Inlines({pandoc.RawInline('html', '<p class="subtitle lead">')})
  inlines:extend(book.markdown_inlines(text))
  inlines:insert(pandoc.RawInline('html', '</p>'))
  local at = 1
  for i, block in ipairs(doc.blocks) do
    if block.t == 'Header' and block.level == 1 then at = i + 1 break end
  end
  doc.blocks:insert(at, pandoc.Plain(inlines))
  return doc
end
