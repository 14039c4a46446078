-- test/e2e/neovim.test.ts runs this in `nvim --headless --clean`: it loads the README's Neovim config, opens gla.yaml,
-- waits for its diagnostics, hovers a class, runs :GlaAnalyze, and writes what Neovim saw to $GLA_NVIM_OUT as JSON.
local config_path = assert(os.getenv('GLA_NVIM_CONFIG'), 'GLA_NVIM_CONFIG: the README block to load')
local manifest = assert(os.getenv('GLA_NVIM_MANIFEST'), 'GLA_NVIM_MANIFEST: the gla.yaml to open')
local out_path = assert(os.getenv('GLA_NVIM_OUT'), 'GLA_NVIM_OUT: where to write what was seen')
local hover_line = tonumber(os.getenv('GLA_NVIM_HOVER_LINE'))
local hover_character = tonumber(os.getenv('GLA_NVIM_HOVER_CHARACTER'))

local v = vim.version()
local seen = { nvim = ('%d.%d.%d'):format(v.major, v.minor, v.patch), publishes = {}, progress = {}, notices = {} }

if vim.fn.has('nvim-0.8') == 1 then
  seen.startedWith = 'vim.lsp.start'
else
  -- Neovim 0.7 (Debian 12's) has neither vim.lsp.start nor vim.fs: the README's block runs on these stand-ins,
  -- start_client + buf_attach_client and the two vim.fs functions it calls.
  seen.startedWith = 'start_client + buf_attach_client'
  vim.fs = {
    dirname = function(path) return vim.fn.fnamemodify(path, ':h') end,
    find = function(name, opts)
      local dir = opts.path
      while true do
        if vim.loop.fs_stat(dir .. '/' .. name) then return { dir .. '/' .. name } end
        local parent = vim.fn.fnamemodify(dir, ':h')
        if parent == dir then return {} end
        dir = parent
      end
    end,
  }
  local started = {}
  vim.lsp.start = function(config, opts)
    local key = config.name .. '\n' .. config.root_dir
    started[key] = started[key] or vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(opts and opts.bufnr or 0, started[key])
    return started[key]
  end
end

-- What reaches the editor, recorded on the way through Neovim's own handlers.
local function record(method, keep)
  local handler = vim.lsp.handlers[method]
  vim.lsp.handlers[method] = function(err, result, ctx, config)
    keep(result)
    if handler then return handler(err, result, ctx, config) end
  end
end
record('textDocument/publishDiagnostics', function(result)
  local codes = {}
  for _, d in ipairs(result.diagnostics) do table.insert(codes, d.code) end
  table.insert(seen.publishes, { path = vim.uri_to_fname(result.uri), codes = codes })
end)
record('$/progress', function(result) table.insert(seen.progress, { kind = result.value.kind, title = result.value.title }) end)
record('gla/runFinished', function(result) seen.runFinished = result end)
vim.notify = function(message, level) table.insert(seen.notices, { message = message, level = level }) end
-- The README's :GlaAnalyze answers through its own handler; keep the answer too.
local buf_request = vim.lsp.buf_request
vim.lsp.buf_request = function(bufnr, method, params, handler)
  if method ~= 'workspace/executeCommand' then return buf_request(bufnr, method, params, handler) end
  return buf_request(bufnr, method, params, function(err, result, ...)
    seen.command = { err = err, result = result }
    return handler(err, result, ...)
  end)
end

local function hover(bufnr)
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = { line = hover_line, character = hover_character } }
  local answers = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', params, 20000) or {}
  for _, answer in pairs(answers) do
    if answer.result and answer.result.contents then return answer.result.contents.value end
  end
end

local function published_since(count)
  for i = count + 1, #seen.publishes do
    if seen.publishes[i].path == manifest then return true end
  end
  return false
end

local function wait(what, ms, condition)
  if not vim.wait(ms, condition, 50) then error('timed out waiting for ' .. what) end
end

local ok, err = pcall(function()
  dofile(config_path)
  vim.cmd('edit ' .. vim.fn.fnameescape(manifest))
  local bufnr = vim.api.nvim_get_current_buf()
  wait('diagnostics on gla.yaml', 30000, function() return published_since(0) end)
  seen.hoverBeforeRun = hover(bufnr)
  seen.publishesBeforeRun = #seen.publishes
  vim.cmd('GlaAnalyze')
  wait('the answer to gla.analyze', 180000, function() return seen.command ~= nil end)
  wait('gla/runFinished', 10000, function() return seen.runFinished ~= nil end)
  seen.hoverAfterRun = hover(bufnr)
end)
if not ok then seen.error = tostring(err) end

local file = assert(io.open(out_path, 'w'))
file:write(vim.fn.json_encode(seen))
file:close()
vim.cmd(ok and 'qall!' or 'cquit 1')
