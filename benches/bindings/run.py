"""Times tieout through its bindings next to the scripts a user would write
instead, each in its own process on the same generated export, and prints a
markdown table. Started by run.sh (which builds the release packages); see
there for the options.

Wall time is the whole process (interpreter start included); CPU time is the
child's user + system time (on a shared, loaded machine the steadier figure);
peak RSS is the
child's ru_maxrss from wait4 (this launcher stays small, so the figure is the
child's own). After every run the books' row counts must equal the other
tools' (customers, invoices, invoice lines, payments, allocations).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

TOOLS = {
    "python": "tieout-python",
    "node": "tieout-node",
    "sdk": "stripe-sdk + sqlite3",
    "plain": "json + sqlite3",
}


def command(tool: str, data: Path, db: Path, args: argparse.Namespace) -> list[str]:
    if tool == "python":
        return [args.python, str(HERE / "tieout_py.py"), str(data), str(db)]
    if tool == "node":
        return ["node", str(HERE / "tieout_node.mjs"), str(data), str(db), args.node_addon]
    return [args.python, str(HERE / "peer.py"), tool, str(data), str(db)]


def counts(tool: str, db: Path) -> tuple[int, ...]:
    con = sqlite3.connect(db)
    try:
        one = lambda sql: con.execute(sql).fetchone()[0] or 0  # noqa: E731
        if tool in ("python", "node"):
            return (
                one("SELECT count(*) FROM customer"),
                one("SELECT count(*) FROM invoice"),
                one("SELECT sum(json_array_length(data, '$.lines')) FROM invoice"),
                one("SELECT count(*) FROM payment"),
                one("SELECT count(*) FROM allocation"),
            )
        return tuple(one(f"SELECT count(*) FROM {t}") for t in
                     ("customers", "invoices", "invoice_lines", "payments", "allocations"))
    finally:
        con.close()


def generate(n: int, work: Path, python: str) -> Path:
    data = work / f"export-{n}"
    done = data / ".complete"
    # An export made by another version of the generator is made again.
    made_by = hashlib.sha256((HERE / "gen.py").read_bytes()).hexdigest()[:16]
    if done.exists() and done.read_text() == f"{n} {made_by}":
        return data
    shutil.rmtree(data, ignore_errors=True)
    t = time.perf_counter()
    subprocess.run([python, str(HERE / "gen.py"), str(n), str(data)], check=True)
    done.write_text(f"{n} {made_by}")
    print(f"generated {n} invoices in {time.perf_counter() - t:.1f} s: {data}", file=sys.stderr)
    return data


def run_one(tool: str, n: int, data: Path, work: Path, args: argparse.Namespace) -> dict:
    db = work / f"books-{tool}-{n}.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    t = time.perf_counter()
    child = subprocess.Popen(command(tool, data, db, args))
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{TOOLS[tool]} at {n} failed with exit code {child.returncode}")
    rows = counts(tool, db)
    if not args.keep_books:
        # Each tool alone on the machine, its files too: a tool's books left
        # behind (3.5 GB at 1M) would sit in the page cache beside the next
        # tool's run, which then starts from another state than the first.
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    cpu = usage.ru_utime + usage.ru_stime
    print(f"  {TOOLS[tool]:<22} {n:>9} invoices  {seconds:8.2f} s  cpu {cpu:8.2f} s  "
          f"{usage.ru_maxrss / 1024:7.0f} MB  rows {rows}", file=sys.stderr)
    return {"tool": tool, "n": n, "seconds": seconds, "cpu": cpu,
            "rss_mb": usage.ru_maxrss / 1024, "rows": rows}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="100000")
    p.add_argument("--peers", default="python,node,sdk,plain",
                   help="which of python,node,sdk,plain to run")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--work", default=str(HERE.parents[1] / "target" / "bench-bindings"))
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--node-addon", default=str(HERE.parents[1] / "bindings-node"))
    p.add_argument("--keep", action="store_true", help="keep the generated exports")
    p.add_argument("--keep-books", action="store_true",
                   help="keep each tool's books (by default removed once their rows are counted)")
    args = p.parse_args()
    tools = [t.strip() for t in args.peers.split(",") if t.strip()]
    unknown = [t for t in tools if t not in TOOLS]
    if unknown:
        raise SystemExit(f"unknown tools {unknown}; choose from {list(TOOLS)}")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results: list[dict] = []
    for n in [int(s.replace("_", "")) for s in args.sizes.split(",")]:
        data = generate(n, work, args.python)
        rows: dict[str, tuple[int, ...]] = {}
        for r in range(args.repeat):
            # Alternate the order between repeats: the machine is noisy.
            order = tools[r % len(tools):] + tools[:r % len(tools)]
            for tool in order:
                res = run_one(tool, n, data, work, args)
                results.append(res)
                rows[tool] = res["rows"]
        if len(set(rows.values())) > 1:
            raise SystemExit(f"the books differ at {n} invoices: {rows}")
        if not args.keep:
            shutil.rmtree(data)
    print()
    print("| tool | invoices | seconds | CPU seconds | invoices/s | time vs tieout-python "
          "| peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for n in sorted({r["n"] for r in results}):
        base = [r["seconds"] for r in results if r["n"] == n and r["tool"] == "python"]
        for tool in tools:
            runs = sorted((r for r in results if r["n"] == n and r["tool"] == tool),
                          key=lambda r: r["seconds"])
            if not runs:
                continue
            med = runs[len(runs) // 2]
            ratio = f"{med['seconds'] / sorted(base)[len(base) // 2]:.2f}x" if base else "-"
            print(f"| {TOOLS[tool]} | {n:,} | {med['seconds']:.1f} | {med['cpu']:.1f} "
                  f"| {n / med['seconds']:,.0f} "
                  f"| {ratio} | {max(r['rss_mb'] for r in runs):.0f} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
