#!/bin/sh
# A CGI script (RFC 3875): the server runs it for GET /cgi-bin/time.sh and
# sends back what it prints. First the CGI header fields, then an empty
# line, then the body (RFC 3875 section 6). The server, not the script,
# writes the HTTP status line, Date and Content-Length.
now=$(date)
printf 'Content-Type: text/html; charset=utf-8\n'
printf '\n'
cat <<HTML
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>The time, from a shell script</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<h1>The time, from a shell script</h1>
<p>The server ran <code>date</code> for you: <strong>$now</strong></p>
<p>Reload the page: a new process, a new answer.</p>
<p><a href="/index.html">Back to the index</a></p>
</body>
</html>
HTML
