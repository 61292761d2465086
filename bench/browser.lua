-- wrk acting as one browser: it sends the User-Agent it logged in with and keeps the session cookie the
-- server sets, as a browser does. Without this, every request carries the login's cookie, and the app
-- rewrites the session on each one (its idle clock, and Flask-Login's "not fresh" mark for a different
-- User-Agent), work that a browser causes only every few seconds.
local cookie = nil

function init(args)
  cookie = wrk.headers["Cookie"]
end

function request()
  wrk.headers["Cookie"] = cookie
  return wrk.format()
end

function response(status, headers, body)
  local set = headers["Set-Cookie"]
  if set then
    cookie = set:match("^([^;]+)")
  end
end
