#!/bin/sh
# Seeds each fuzz target's corpus from the project's real fixtures (run from the repository
# root): policies and the checker's annotated fixtures for the language, the real devices'
# MUD files, syslog lines of the PAVA fixtures. `cargo fuzz cmin TARGET` then keeps what adds
# coverage; fuzz/corpus/ is committed minimized.
set -eu
mkdir -p fuzz/corpus/parse_format fuzz/corpus/check fuzz/corpus/syslog fuzz/corpus/mud \
  fuzz/corpus/bundle fuzz/corpus/nft_eval
for f in policies/*/*.ward policies/*.ward compiler/tests/diagnostics/*.ward stdlib/ward/*.ward; do
  name=$(echo "$f" | tr '/' '_')
  cp "$f" "fuzz/corpus/parse_format/$name"
  cp "$f" "fuzz/corpus/check/$name"
done
find mud/tests/fixtures -name '*.json' | while read -r f; do
  cp "$f" "fuzz/corpus/mud/$(echo "$f" | tr '/' '_')"
done
n=0
for f in pava/tests/fixtures/logs/*; do
  while IFS= read -r line; do
    n=$((n + 1))
    printf '%s' "$line" > "fuzz/corpus/syslog/line-$n"
    [ "$n" -ge 400 ] && break
  done < "$f"
done
