#!/bin/sh
# The program of examples/local: prints its environment, configuration and arguments.
# `--exit N` makes it exit with status N.
set -eu
conf="$FLAVOR_WORKENV/etc/greeting.conf"
echo "$AUDIENCE (mode $HELLO_MODE)"
echo "config: $(cat "$conf")"
if [ -f "$FLAVOR_WORKENV/.activated" ]; then echo "activated: yes"; fi
code=0
for a in "$@"; do
	if [ "${next:-}" = exit ]; then code=$a; next=; continue; fi
	case $a in
	--exit) next=exit ;;
	--shout) echo "HELLO!" ;;
	*) echo "arg: $a" ;;
	esac
done
exit "$code"
