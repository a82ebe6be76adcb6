#!/bin/sh
# House style rule 14: heap allocation only inside *_create() (and *_open()/main set-up helpers
# named *_create). Prints offending lines and fails if any.
bad=0
for f in "$@"; do
    awk -v F="$f" '
        /^[a-z_].*\(/ && !/;[ \t]*$/ { fn = $0 }
        /(^|[^a-z_])(malloc|calloc|realloc|strdup|strndup)[ \t]*\(/ {
            if (fn !~ /_create[ \t]*\(/ && fn !~ /_open[ \t]*\(/) { printf "%s:%d: allocation outside *_create: %s\n", F, NR, $0; bad = 1 }
        }
        END { exit bad }' "$f" || bad=1
done
[ $bad -eq 0 ] && echo "check-alloc: ok"
exit $bad
