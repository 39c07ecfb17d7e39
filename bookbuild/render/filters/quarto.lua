-- The `quarto` module a book's own Lua filters see (bookbuild's own code, not
-- Quarto's): the functions plain filters commonly call. Anything else under
-- `quarto.` is reported once as a warning naming it and the filter file, and
-- does nothing, so the filter still runs.
--
-- Messages reach the build on stderr, one JSON object a line after a marker
-- (render/userfilters.py reads them): warnings and errors with the filter's
-- file and line, `quarto.log.output` text, and HTML dependencies.
local M = {}

local MARKER = '\30bookbuild '

local function send(message)
  io.stderr:write(MARKER .. pandoc.json.encode(message) .. '\n')
end

-- The filter file and line of the code that called into this module.
local function caller(level)
  local info = debug.getinfo(level + 1, 'Sl')
  if info and info.source:sub(1, 1) == '@' then
    return info.source:sub(2), info.currentline
  end
  return nil, nil
end

local function text_of(values)
  local parts = {}
  for i = 1, values.n do
    local value = values[i]
    if type(value) == 'string' then
      parts[#parts + 1] = value
    elseif type(value) == 'table' or type(value) == 'userdata' then
      local ok, encoded = pcall(pandoc.json.encode, value)
      parts[#parts + 1] = ok and encoded or tostring(value)
    else
      parts[#parts + 1] = tostring(value)
    end
  end
  return table.concat(parts, ' ')
end

-- Quarto's format aliases: "html" is any HTML writer (EPUB's too), "html:js" those that run
-- JavaScript (not EPUB's), "latex" and "pdf" the LaTeX one.
local ALIASES = {
  html = {html = true, html4 = true, html5 = true, epub = true, epub3 = true},
  ['html:js'] = {html = true, html4 = true, html5 = true},
  epub = {epub = true, epub3 = true},
  latex = {latex = true, beamer = true},
  pdf = {latex = true, beamer = true},
}

function M.new(filter_file)
  local folder = pandoc.path.directory(filter_file)
  local warned = {}

  local function unknown(name)
    -- A callable, indexable stand-in: `quarto.x.y(…)` warns and returns nil.
    return setmetatable({}, {
      __call = function() return nil end,
      __index = function(_, key) return unknown(name .. '.' .. tostring(key)) end,
    })
  end

  local function guarded(table_, prefix)
    return setmetatable(table_, {__index = function(_, key)
      local name = prefix .. '.' .. tostring(key)
      local file, line = caller(2)
      if not warned[name] then
        warned[name] = true
        send({kind = 'unsupported', name = name, file = file or filter_file, line = line or 1})
      end
      return unknown(name)
    end})
  end

  local function resolve_path(path)
    if pandoc.path.is_absolute(path) then return path end
    return pandoc.path.normalize(pandoc.path.join({folder, path}))
  end

  local function log(kind)
    return function(...)
      local file, line = caller(2)
      send({kind = kind, message = text_of(table.pack(...)), file = file or filter_file, line = line or 1})
    end
  end

  local function paths(list)
    local out = {}
    for _, item in ipairs(list or {}) do
      local path = type(item) == 'table' and item.path or item
      out[#out + 1] = resolve_path(tostring(path))
    end
    return out
  end

  local doc = guarded({
    is_format = function(name)
      -- The EPUB build's filters write Pandoc's JSON; it names the format it makes.
      local format = os.getenv('BOOKBUILD_FORMAT') == 'epub' and 'epub3' or FORMAT
      local wanted = ALIASES[name]
      if wanted then return wanted[format] == true end
      return format == name
    end,
    add_html_dependency = function(dependency)
      if not (FORMAT:match('html')) then return end
      if type(dependency) ~= 'table' or not dependency.name then
        error('quarto.doc.add_html_dependency needs a table with a name', 2)
      end
      local file, line = caller(2)
      send({kind = 'dependency', name = tostring(dependency.name),
            version = dependency.version and tostring(dependency.version) or '',
            stylesheets = paths(dependency.stylesheets), scripts = paths(dependency.scripts),
            head = dependency.head and tostring(dependency.head) or '', file = file or filter_file, line = line or 1})
    end,
    include_text = function(location, text)
      send({kind = 'include', location = tostring(location), text = tostring(text)})
    end,
    include_file = function(location, path)
      local handle = io.open(resolve_path(path), 'r')
      if not handle then error('quarto.doc.include_file: cannot read ' .. resolve_path(path), 2) end
      local text = handle:read('a')
      handle:close()
      send({kind = 'include', location = tostring(location), text = text})
    end,
    use_latex_package = function(package, options)
      if FORMAT:match('latex') then
        local with = options and ('[' .. tostring(options) .. ']') or ''
        send({kind = 'include', location = 'in-header', text = '\\usepackage' .. with .. '{' .. tostring(package) .. '}'})
      end
    end,
  }, 'quarto.doc')

  return guarded({
    doc = doc,
    log = guarded({output = log('output'), warning = log('warning'), error = log('error')}, 'quarto.log'),
    utils = guarded({resolve_path = resolve_path}, 'quarto.utils'),
  }, 'quarto')
end

return M
