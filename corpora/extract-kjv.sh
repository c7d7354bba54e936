#!/usr/bin/env bash
# Rebuilds kjv.txt from Debian's bible-kjv package: every verse of the King James Bible of
# at most 25 words, one verse per line, in canonical order (Genesis to Revelation).
set -euo pipefail
command -v bible >/dev/null || { echo "needs the bible program: apt-get install bible-kjv" >&2; exit 1; }
cd "$(dirname "$0")"
bible -l100000 "Gen1:1-Rev22:21" \
  | grep -E '^ *[0-9]+ ' \
  | sed -E 's/^ *[0-9]+ //; s/[[:space:]]+$//' \
  | awk 'NF > 0 && NF <= 25' > kjv.txt
wc -l kjv.txt >&2
