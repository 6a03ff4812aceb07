"""Deduplication across successive database dumps: bytes each backup adds, snapstore next to restic.

    python bench/corpora.py --only db,db-slow
    python bench/db_dedup.py [--corpora db,db-slow] [--snapstore-ref HEAD] [--json OUT]

Each dump (`v1/db.sql` ... `v5/db.sql` of a corpus) is streamed into the tool's repository through
standard input, as `pg_dump | snap backup --stdin` does (restic: `restic backup --stdin`), one
repository per tool and corpus, in version order. After each backup the repository's size on disk
is measured; the growth is what that dump added, reported in bytes and as a share of the dump.

For scale, each round also shows `zstd -3 --long=28 --patch-from=<previous dump>`: the size of
the new dump encoded as a delta against the whole previous one, a rough bound for what any
chunk-level deduplication could hope to store, and `zstd -3` of the dump alone (what storing it
without deduplication costs).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from peers import Restic, Snapstore, Tool, Workspace, disk_usage, ensure_installed

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT / ".bench" / "corpora"
NAME = "db.sql"
MB = 1e6


def stdin_backup(tool: Tool) -> list[str]:
    if isinstance(tool, Snapstore):
        return [*tool.exe, "backup", "-q", "--stdin", "--stdin-filename", NAME]
    return ["restic", "backup", "-q", "--stdin", "--stdin-filename", NAME]


def run(argv: list[str], env: dict[str, str], stdin: Path | None = None) -> None:
    with open(stdin or "/dev/null", "rb") as source:
        done = subprocess.run(argv, env=env, stdin=source, capture_output=True, timeout=1800)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace').strip()}")


def zstd_size(dump: Path, base: Path | None) -> int:
    patch = [f"--patch-from={base}", "--long=28"] if base else []
    done = subprocess.run(["zstd", "-3", "-q", "-c", *patch, str(dump)], capture_output=True, check=True, timeout=600)
    return len(done.stdout)


def measure_tool(tool: Tool, dumps: list[Path], work: Path) -> list[int]:
    """Repository growth in bytes (on disk) after each dump's backup."""
    ws = Workspace(work / tool.name)
    ws.create()
    env = tool.env(ws)
    for argv in (c.argv for c in tool.init(ws)):
        run(argv, env)
    sizes = [disk_usage(ws.repo)["disk"]]
    for dump in dumps:
        run(stdin_backup(tool), env, dump)
        sizes.append(disk_usage(ws.repo)["disk"])
    return [after - before for before, after in zip(sizes, sizes[1:])]


def report(corpus: str, dumps: list[Path], added: dict[str, list[int]]) -> list[str]:
    manifest = json.loads((CORPORA / corpus / "manifest.json").read_text())
    lines = [f"## {corpus}: {manifest.get('pgbench', '?')}",
             f"{'round':<6}{'dump MB':>9}{'zstd MB':>9}{'delta MB':>10}"
             + "".join(f"{t + ' MB':>15}{'% of dump':>10}" for t in added) + f"{'x restic':>10}"]
    for i, dump in enumerate(dumps):
        size = dump.stat().st_size
        delta = zstd_size(dump, dumps[i - 1] if i else None)
        row = f"{'v' + str(i + 1):<6}{size / MB:>9.1f}{zstd_size(dump, None) / MB:>9.2f}{delta / MB:>10.2f}"
        for tool in added:
            row += f"{added[tool][i] / MB:>15.2f}{100 * added[tool][i] / size:>9.2f}%"
        if "restic" in added and "snapstore" in added and added["restic"][i] > 0:
            row += f"{added['snapstore'][i] / added['restic'][i]:>9.2f}x"
        lines.append(row)
    later = {t: sum(a[1:]) for t, a in added.items()}
    total = sum(d.stat().st_size for d in dumps[1:])
    lines.append("rounds 2-5: " + ", ".join(f"{t} {b / MB:.2f} MB ({100 * b / total:.2f}% of the dumps)"
                                             for t, b in later.items()))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="db,db-slow")
    parser.add_argument("--snapstore-ref", help="benchmark this commit's snapstore (default: the work tree)")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    ensure_installed(["restic"])
    tools: list[Tool] = [Snapstore(args.snapstore_ref), Restic()]
    print("# " + "; ".join(t.version() for t in tools))
    results: dict[str, dict[str, list[int]]] = {}
    for corpus in [c for c in args.corpora.split(",") if c]:
        dumps = sorted((CORPORA / corpus).glob(f"v*/{NAME}"), key=lambda p: int(p.parent.name[1:]))
        if not dumps:
            sys.exit(f"no dumps in {CORPORA / corpus}: run python bench/corpora.py --only {corpus}")
        with tempfile.TemporaryDirectory(prefix="db-dedup-") as work:
            added = {tool.name: measure_tool(tool, dumps, Path(work)) for tool in tools}
        results[corpus] = added
        print("\n".join(report(corpus, dumps, added)), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
