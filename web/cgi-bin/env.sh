#!/bin/sh
# A CGI script (RFC 3875) that shows what the server told it. The request
# reaches a CGI script as environment variables (section 4.1):
# REQUEST_METHOD, QUERY_STRING, CONTENT_LENGTH, HTTP_* for the request's
# header fields, and so on. Try /cgi-bin/env.sh?a=1&b=2 and compare.
printf 'Content-Type: text/plain; charset=utf-8\n'
printf '\n'
env | sort
