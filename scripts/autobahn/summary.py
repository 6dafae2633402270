"""Reads the index.json of an Autobahn (kosoku) report and prints one line
per case group: how many cases ran, and how many of them Autobahn judged
OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED and FAILED. Then lists every
case that was not plainly OK, with why, and ends on "N passed, N failed".

    python3 summary.py REPORT_DIR KOSOKU_STATUS GROUP...

GROUP: the case groups that were selected (each must have run); 12 and 13
are always listed, as not supported. Exits 1 on any failed case, on a
selected group that did not run, or when kosoku exited non-zero for a
reason its report does not show (kosoku also exits 1 for UNIMPLEMENTED,
which is no failure here: the table counts it as unsupported).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

# Autobahn's names for its case groups (there is no 8 nor 11).
GROUP_NAMES = {
    "1": "framing",
    "2": "pings and pongs",
    "3": "reserved bits",
    "4": "opcodes",
    "5": "fragmentation",
    "6": "UTF-8 handling",
    "7": "close handling",
    "9": "limits and performance",
    "10": "miscellaneous",
    "12": "compression, payloads",
    "13": "compression, parameters",
}

# Groups that need permessage-deflate, which atode does not implement (nor
# does tungstenite under it): never run, always listed.
NOT_SUPPORTED = ("12", "13")

# The verdicts of a case's closing handshake that are no failure.
CLOSE_ACCEPTED = ("OK", "INFORMATIONAL")

COLUMNS = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")
# Each column as wide as its name, and at least 4 (up to 9999 cases).
WIDTHS = {column: max(len(column), 4) for column in COLUMNS}


def verdict(case: dict) -> str:
    """One column for a case: FAILED if either half failed (an ERROR is a
    case that could not run, so a failure too), else its exchange's."""
    behavior = case["behavior"]
    if behavior in ("FAILED", "ERROR") or case["behaviorClose"] not in CLOSE_ACCEPTED:
        return "FAILED"
    return behavior


def group_key(group: str) -> int:
    return int(group)


def case_key(case_id: str) -> list[int]:
    return [int(part) for part in case_id.split(".")]


def main() -> int:
    report_dir = Path(sys.argv[1])
    kosoku_status = int(sys.argv[2])
    selected = set(sys.argv[3:])

    index_path = report_dir / "index.json"
    if not index_path.exists():
        print(f"autobahn: FAILED: kosoku wrote no report ({index_path})", file=sys.stderr)
        return 1
    index = json.loads(index_path.read_text())
    # One agent: the server under test, named by its address.
    cases = {case_id: case for agent in index.values() for case_id, case in agent.items()}

    counts: dict[str, Counter] = {}
    notable = []
    for case_id in sorted(cases, key=case_key):
        case = cases[case_id]
        group = case_id.split(".")[0]
        column = verdict(case)
        counts.setdefault(group, Counter())[column] += 1
        if column != "OK":
            notable.append((case_id, column, case))

    header = f"{'group':<32} {'run':>4} " + " ".join(f"{c:>{WIDTHS[c]}}" for c in COLUMNS)
    print(f"autobahn: {header}")
    total = Counter()
    missing = []
    for group in sorted(set(counts) | selected | set(NOT_SUPPORTED), key=group_key):
        label = f"{group} {GROUP_NAMES.get(group, '')}"
        if group in NOT_SUPPORTED:
            print(f"autobahn: {label:<32} {'-':>4} not supported: permessage-deflate (not run)")
            continue
        if group not in counts:
            missing.append(group)
            print(f"autobahn: {label:<32} {0:>4} did not run")
            continue
        count = counts[group]
        total.update(count)
        run = sum(count.values())
        cells = " ".join(f"{count[c]:>{WIDTHS[c]}}" for c in COLUMNS)
        print(f"autobahn: {label:<32} {run:>4} {cells}")
    cells = " ".join(f"{total[c]:>{WIDTHS[c]}}" for c in COLUMNS)
    print(f"autobahn: {'total':<32} {sum(total.values()):>4} {cells}")

    # The cases not plainly OK, each with its page in the report.
    for case_id, column, case in notable:
        page = Path(case["reportfile"]).with_suffix(".html").name
        print(
            f"autobahn: {case_id} {column}: exchange {case['behavior']}, "
            f"close {case['behaviorClose']} (server sent {case.get('remoteCloseCode')}); {page}"
        )
    print(f"autobahn: report: {report_dir / 'index.html'}")

    failed = total["FAILED"]
    passed = sum(total.values()) - failed
    status = 0
    if missing:
        print(f"autobahn: FAILED: selected groups that did not run: {' '.join(missing)}", file=sys.stderr)
        status = 1
    if failed:
        print(f"autobahn: FAILED: {failed} case(s); see {report_dir / 'index.html'}", file=sys.stderr)
        status = 1
    elif kosoku_status != 0 and total["UNIMPLEMENTED"] == 0:
        print(
            f"autobahn: FAILED: kosoku exited with status {kosoku_status}, "
            "and its report shows no failed case",
            file=sys.stderr,
        )
        status = 1
    print(f"autobahn: {passed} passed, {failed} failed")
    return status


if __name__ == "__main__":
    sys.exit(main())
