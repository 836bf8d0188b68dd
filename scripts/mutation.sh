#!/usr/bin/env bash
# The mutation-testing pass (issue 7), not part of `make test`: mutmut 3 mutates the pure cores
# of matching and points and the functions of the points services that enforce a rule, runs
# each mutant against the tests that call its function (SQLite, one worker), and prints per
# module how many mutants the tests killed and how many survived.
#
# Usage:  bash scripts/mutation.sh [--survivors] [TARGET...]
#   TARGET is a module (every function of it) or module:function,function (only those), e.g.
#   bash scripts/mutation.sh points.rules 'points.vouchers:exchange'
#   With no TARGET, the default list below: 2,340 mutants. A whole pass took 110 min on the
#   shared 2-core machine (load ~7); the ~1,000 mutants of the points services (then one file,
#   now split by capability) took most of it (each forks a pytest run on a freshly migrated
#   SQLite file). ledger and rules: 2 min.
#   --survivors runs again only the survivors of the last pass (mutants/survivors.txt), keeping
#   every other result: after adding tests to an unchanged source (522 survivors: 32 min).
# Then: `.venv/bin/mutmut show NAME` shows one mutant's diff; mutants/survivors.txt lists the
# survivors. MUTATION_KEEP=1 reuses mutants/ (and its traced test map) from the last pass.
set -euo pipefail
cd "$(dirname "$0")/.."

DEFAULT_TARGETS=(
  matching.cost
  matching.engine
  points.ledger
  points.rules
  points.codes
  # the functions of the points services that enforce a rule (caps, units, who may exchange,
  # once only, never after expiry, FIFO expiry, what a reversal may take)
  "points.point_rules:update_rules"
  "points.accounts:apply_legs,ledger_position"
  "points.credits:credit_completed_task,reverse"
  "points.vouchers:exchanged_in_fiscal_year,exchange"
  "points.redemption:redeem,_refuse_unredeemable"
  "points.expiry:expire,expire_points_of"
)
survivors_only=
if [ "${1:-}" = --survivors ]; then
  survivors_only=1
  shift
fi
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${DEFAULT_TARGETS[@]}"); fi

bash scripts/setup.sh
if ! .venv/bin/python -m pip install -q -e '.[test,mutation]' 2>.venv/pip-install.log; then
  cat .venv/pip-install.log >&2
  exit 1
fi

# mutant names look like points.rules.x_month_of__mutmut_3 (a method: module.xǁClassǁname...)
globs=()
for target in "${TARGETS[@]}"; do
  module=${target%%:*}
  if [ "$module" = "$target" ]; then
    globs+=("$module.x*")
  else
    IFS=, read -r -a functions <<<"${target#*:}"
    for f in "${functions[@]}"; do globs+=("$module.x_${f}__mutmut_*"); done
  fi
done

if [ -n "$survivors_only" ]; then
  if [ ! -s mutants/survivors.txt ]; then
    echo "no mutants/survivors.txt: run a whole pass first" >&2
    exit 1
  fi
  mapfile -t globs < <(cut -f1 mutants/survivors.txt)
  MUTATION_KEEP=1
fi

unset TEST_DATABASE_URL  # SQLite: the mutants run in forked workers on a throw-away file
[ "${MUTATION_KEEP:-}" = 1 ] || rm -rf mutants
mkdir -p mutants
started=$(date +%s)
echo "== mutmut run (one worker; log: mutants/run.log)"
.venv/bin/mutmut run --max-children 1 "${globs[@]}" >mutants/run.log 2>&1 || {
  tail -n 40 mutants/run.log >&2
  exit 1
}
echo "   took $(($(date +%s) - started)) s"

.venv/bin/python scripts/mutation_report.py mutants "${TARGETS[@]}"
