#!/usr/bin/env bash
# Coverage-guided fuzzing of Quill's parsers with libFuzzer and AddressSanitizer.
#
#   Fuzz/run.sh --list                     the target names, one a line
#   Fuzz/run.sh --build                    builds the fuzzer only
#   Fuzz/run.sh TARGET SECONDS [FLAGS...]  builds, then fuzzes TARGET for SECONDS (0: no time limit,
#                                          for example with -runs=1000000); FLAGS go to libFuzzer
#   Fuzz/run.sh TARGET FILE...             runs TARGET once on each FILE (a reproducer)
#
# Builds with -sanitize=fuzzer,address into .build-fuzz-asan (never the ordinary .build), linked
# by lld (with gold, the first builds had no coverage counters; that may have been the flag order
# below rather than gold, but lld is known to work).
# The compiler keeps only the last -sanitize= flag, and `swift build --sanitize fuzzer --sanitize
# address` passes two in a random order, so one build had no coverage and another no ASan; hence
# --sanitize fuzzer (which tells SwiftPM that libFuzzer supplies `main`) and then one flag for both,
# checked in the binary. Starts
# from the committed seeds in Fuzz/Seeds/TARGET; new inputs go to a temporary corpus, so the seeds
# stay as committed. Exits non-zero on a crash, a sanitizer report or a broken property, and
# prints the reproducer's path and its bytes (base64) last; reproducers are kept in
# .build-fuzz-asan/artifacts.
set -euo pipefail
fuzz_dir="$(cd "$(dirname "$0")" && pwd)"
repository="$(dirname "$fuzz_dir")"
scratch="${QUILL_FUZZ_SCRATCH_PATH:-$repository/.build-fuzz-asan}"

targets() { sed -n 's/^ *static let name = "\([a-z0-9-]*\)"$/\1/p' "$fuzz_dir"/Targets/*Target.swift; }

build_once() {
  (cd "$repository" && QUILL_FUZZ=1 swift build -c release --scratch-path "$scratch" --product quill-fuzz \
     --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld) > "$scratch/build.log" 2>&1
}

# Coverage counters and ASan's instrumented globals, each in its own section.
has_coverage() {
  local sections; sections="$(readelf -S --wide "$scratch/release/quill-fuzz")"
  [[ "$sections" == *__sancov_cntrs* && "$sections" == *asan_globals* ]]
}

build() {
  mkdir -p "$scratch"
  echo "Fuzz/run.sh: building quill-fuzz (release, -sanitize=fuzzer,address) in $scratch" >&2
  if ! build_once; then
    tail -40 "$scratch/build.log" >&2
    echo "Fuzz/run.sh: the build failed; the whole log is $scratch/build.log" >&2
    exit 2
  fi
  # A binary without coverage counters fuzzes blind, and one without ASan misses memory errors:
  # link it again, and refuse to run one that still lacks either.
  if ! has_coverage; then
    echo "Fuzz/run.sh: quill-fuzz lacks coverage counters or ASan; linking it again" >&2
    rm -f "$scratch/release/quill-fuzz"
    build_once || { tail -40 "$scratch/build.log" >&2; exit 2; }
    has_coverage || {
      echo "Fuzz/run.sh: quill-fuzz still lacks coverage counters or ASan (see the -sanitize flags in $scratch/build.log)" >&2; exit 2; }
  fi
}

case "${1:-}" in
  --list) targets; exit 0 ;;
  --build) build; exit 0 ;;
  ""|-h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 64 ;;
esac

target="$1"; shift
if ! targets | grep -qx -- "$target"; then
  echo "Fuzz/run.sh: unknown target \"$target\"; the targets are: $(targets | tr '\n' ' ')" >&2
  exit 64
fi
[ $# -ge 1 ] || { echo "Fuzz/run.sh: give SECONDS (or reproducer files) after the target" >&2; exit 64; }
build

work="$(mktemp -d "$( [ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/quill-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/scratch" "$scratch/artifacts"
export QUILL_FUZZ_TARGET="$target" QUILL_FUZZ_SCRATCH="$work/scratch"
# Leaks are not checked: the Swift runtime's caches and Foundation's singletons never free, and
# every input runs in one process, so a true per-input leak shows as growth against -rss_limit_mb.
export ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}"
# libFuzzer prints the stack of a crash; the Swift runtime's own backtracer would then trip ASan.
export SWIFT_BACKTRACE=enable=no
fuzzer=("$scratch/release/quill-fuzz" -artifact_prefix="$scratch/artifacts/$target-" -timeout=30 -rss_limit_mb=2048
        -print_final_stats=1)

if [ -f "$1" ]; then
  exec "${fuzzer[@]}" "$@"
fi
seconds="$1"; shift
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "Fuzz/run.sh: SECONDS must be a whole number, got \"$seconds\"" >&2; exit 64; }
log="$work/fuzz.log"
status=0
"${fuzzer[@]}" -max_total_time="$seconds" "$@" "$work/corpus" "$fuzz_dir/Seeds/$target" 2>&1 | tee "$log" || status=$?
if [ "$status" -eq 0 ] && ! grep -q 'INITED cov:' "$log"; then
  echo "Fuzz/run.sh: $target ran without coverage feedback (no 'cov:' when libFuzzer started)." >&2
  exit 3
fi
if [ "$status" -ne 0 ]; then
  reproducer="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
  echo "Fuzz/run.sh: $target failed (exit $status)." >&2
  if [ -n "$reproducer" ] && [ -f "$reproducer" ]; then
    echo "reproducer: $reproducer ($(wc -c < "$reproducer") bytes); run it again with: Fuzz/run.sh $target $reproducer" >&2
    echo "reproducer base64: $(base64 -w0 "$reproducer")" >&2
  fi
  exit "$status"
fi
