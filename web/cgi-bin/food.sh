#!/bin/sh
# A CGI script (RFC 3875) for the food form in /form.html. POSIX sh only.
#
# For POST the form arrives on stdin, exactly CONTENT_LENGTH bytes of it
# (RFC 3875 section 4.2): the server need not close stdin afterwards, so
# reading "until end of file" could wait forever. For GET it arrives in
# QUERY_STRING (section 4.1.7). Either way it is
# application/x-www-form-urlencoded: name=value pairs joined by "&", with
# "+" for a space and %XX for any other byte.

# Work byte by byte, whatever the server's locale.
LC_ALL=C
export LC_ALL

if [ "$REQUEST_METHOD" = POST ]; then
	case $CONTENT_LENGTH in
	'' | *[!0-9]*) len=0 ;;  # missing or not a number: read nothing
	*) len=$CONTENT_LENGTH ;;
	esac
	data=$(head -c "$len")
else
	data=$QUERY_STRING
fi

# field NAME: print the raw (still encoded) value of the first NAME=... pair.
field() {
	printf '%s\n' "$data" | tr '&' '\n' | sed -n "s/^$1=//p" | head -n 1
}

# urldecode STRING: print STRING with "+" turned into a space and each %XX
# into the byte it names. printf cannot take a hex escape in POSIX sh, so
# each XX goes through shell arithmetic (0xXX) to an octal \ooo escape.
urldecode() {
	s=$(printf '%s' "$1" | sed 's/+/ /g')
	while :; do
		case $s in
		*%*) ;;
		*) break ;;
		esac
		printf '%s' "${s%%\%*}"  # everything before the first %
		s=${s#*%}
		hex=${s%"${s#??}"}       # the two characters after it
		case $hex in
		[0-9A-Fa-f][0-9A-Fa-f])
			# shellcheck disable=SC2059 # the format is built on purpose
			printf "\\$(printf '%03o' "$((0x$hex))")"
			s=${s#??}
			;;
		*) printf '%%' ;;        # a lone % stands for itself
		esac
	done
	printf '%s' "$s"
}

# htmlescape: copy stdin to stdout with the five characters that mean
# something in HTML replaced by entities. The name came from the user: left
# as is, firstname=<script>... would run in the next visitor's browser.
htmlescape() {
	sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' \
		-e 's/"/\&quot;/g' -e "s/'/\&#39;/g"
}

name=$(urldecode "$(field firstname)" | htmlescape)
food=$(urldecode "$(field food)")

case $food in
Pizza) place='Pizza Hut' ;;
Tacos) place='TacoBell' ;;
Salad) place='Sweetgreen' ;;
*) place='the kitchen' ;;
esac
[ -n "$name" ] || name='Friend'

printf 'Content-Type: text/html; charset=utf-8\n'
printf '\n'
cat <<HTML
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Dinner plans</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<h1>Dinner plans</h1>
<p>$name, go to $place tonight!</p>
<p><a href="/form.html">Back to the form</a></p>
</body>
</html>
HTML
