-- Last in the chain when a large page is rendered in pieces (render/chunks.py): says on
-- stderr how many code blocks without an id the piece holds, the ones Pandoc's HTML
-- writer numbers (`cb1`, `cb2`, …), so the next pieces' numbers can follow on.
local count = 0

return {{
  CodeBlock = function(code)
    if code.identifier == '' then count = count + 1 end
  end,
  Pandoc = function()
    io.stderr:write('bookbuild-code-blocks: ' .. count .. '\n')
  end,
}}
