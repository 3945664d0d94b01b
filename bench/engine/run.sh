#!/usr/bin/env bash
# Engine benchmark (issue 2): dag vs Snakemake 7.21 on layered cmd pipelines of 1,000 and 3,000
# stages, a 100,000-variant matrix, start-up cost and CPU profiles of `dag status`.
# Writes bench/results/engine.md (table + profile summaries) and bench/results/engine.json.
# Knobs (environment): see bench/engine/bench.mjs. Takes about half an hour on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."

apt_install() {
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}
# Debian's snakemake runs under Debian's /usr/bin/python3, whatever python3 is first on PATH.
[ -x /usr/bin/snakemake ] || apt_install snakemake
[ -x /usr/bin/time ] || apt_install time

# Measure the current sources: rebuild dist/ (tsc still emits when some file has type errors).
if ! npx tsc -p . >/tmp/dag-bench-tsc.log 2>&1; then
  echo "warning: tsc reported errors (dist/ emitted anyway); see /tmp/dag-bench-tsc.log" >&2
fi

exec node bench/engine/bench.mjs "$@"
