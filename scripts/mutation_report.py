"""Per module: killed, survived and the score, from mutmut's records (scripts/mutation.sh).

Usage: python scripts/mutation_report.py DIR TARGET...  (DIR: mutmut's mutants/ folder, or a copy
of its *.meta files; TARGET as for scripts/mutation.sh). Writes DIR/survivors.txt.
"""

import fnmatch
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

DETECTED = {"killed", "timeout", "caught by type check", "segfault"}
rows, survivors = [], []
folder = Path(sys.argv[1])
for target in sys.argv[2:]:
    module, _, functions = target.partition(":")
    names = [f"x_{f}__mutmut_*" for f in functions.split(",")] if functions else ["x*"]
    patterns = [f"{module}.{name}" for name in names]
    meta = folder / (module.replace(".", "/") + ".py.meta")
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    statuses = Counter()
    for name, code in sorted(codes.items()):
        if not any(fnmatch.fnmatch(name, p) for p in patterns):
            continue
        status = status_by_exit_code[code]
        statuses[status] += 1
        if status not in DETECTED:
            survivors.append(f"{name}\t{status}")
    total = sum(statuses.values())
    killed = sum(statuses[s] for s in DETECTED)
    rows.append((module, killed, total - killed, total, statuses))

print(f"{'module':<18} {'killed':>7} {'survived':>9} {'total':>6} {'score':>7}")
for module, killed, survived, total, statuses in rows:
    score = f"{100 * killed / total:.1f}%" if total else "-"
    other = {s: n for s, n in statuses.items() if s not in ("killed", "survived")}
    note = "  " + ", ".join(f"{n} {s}" for s, n in sorted(other.items())) if other else ""
    print(f"{module:<18} {killed:>7} {survived:>9} {total:>6} {score:>7}{note}")
killed = sum(r[1] for r in rows)
total = sum(r[3] for r in rows)
print(f"{'all':<18} {killed:>7} {total - killed:>9} {total:>6} {100 * killed / max(total, 1):.1f}%")
(folder / "survivors.txt").write_text("".join(s + "\n" for s in survivors))
print(f"{len(survivors)} survivors listed in {folder}/survivors.txt (`.venv/bin/mutmut show NAME`)")
