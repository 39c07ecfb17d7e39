-- Shared by the book's filters: the build data the Python side writes for this
-- chapter (numbers, cross-reference targets, callout styles), read once.
-- The file's path arrives as metadata `bookbuild-data`.
local M = {}

local cached = nil

function M.load(meta)
  if cached then return cached end
  local path = meta['bookbuild-data'] and pandoc.utils.stringify(meta['bookbuild-data'])
  if not path or path == '' then
    error('bookbuild: no bookbuild-data metadata; run filters through the book build')
  end
  local handle = assert(io.open(path, 'r'))
  local text = handle:read('a')
  handle:close()
  cached = pandoc.json.decode(text, false)
  return cached
end

-- 'latex', 'epub' or 'html'. The EPUB build runs the filters writing Pandoc's JSON (it
-- joins the chapters into one book afterwards), so it says which format it is making.
function M.format()
  if FORMAT:match('latex') then return 'latex' end
  if FORMAT:match('epub') or os.getenv('BOOKBUILD_FORMAT') == 'epub' then return 'epub' end
  return 'html'
end

-- Markdown text (a caption or title held in an attribute) as inlines.
function M.markdown_inlines(text)
  local blocks = pandoc.read(text or '', 'markdown').blocks
  return pandoc.utils.blocks_to_inlines(blocks, {pandoc.Space()})
end

-- Blocks with every Para turned into Plain (for captions and figure bodies).
function M.plain(blocks)
  return blocks:walk({Para = function(p) return pandoc.Plain(p.content) end})
end

function M.escape_html(text)
  return (text:gsub('&', '&amp;'):gsub('<', '&lt;'):gsub('>', '&gt;'):gsub('"', '&quot;'))
end

return M
