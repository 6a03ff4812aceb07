"""Backup and restore benchmark: snapstore against restic and borg on the corpora of bench/corpora.py.

    python bench/corpora.py                      # once: builds .bench/corpora (see bench/README.md)
    python bench/backup_restore.py [--corpora source,db,compressed,small] [--tools snapstore,restic,borg]
        [--repeat 3] [--corpora-dir .bench/corpora] [--scale S] [--results .bench/results.json]
        [--plot .bench/throughput.png] [--timeout 3600]
    python bench/backup_restore.py --from-results .bench/results.json   # report again, no run

For each corpus and repetition, every tool gets a fresh repository and runs the same steps, the
tools alternating within each step (their order rotated from one repetition to the next):
initial backup of v1, incremental backups of v2..vN, an unchanged re-backup, a full restore of
the latest snapshot into an empty folder (compared with the source by `diff -r`), forget+prune
down to the last snapshot, and the repository size on disk after the backups and after pruning.
All tools back up the same path, `<work>/live/<corpus>`, brought to each version by a sync that
rewrites only files whose size or mtime differ, so a tool sees what a nightly run would see.

Figures are medians over the repetitions; a ratio to restic is the median of per-repetition
ratios (speed: restic seconds / tool seconds, so > 1 is faster than restic; size and RSS: tool /
restic, so < 1 is smaller). MB = 10^6 bytes; MB/s is the size of the backed-up or restored tree
over the wall time. The page cache is warm: the live tree is read once more before every backup
step, because borg drops the pages of the files it reads (posix_fadvise DONTNEED) and whoever
came after it read the whole tree from disk. Peak RSS is GNU time's %M of each command. Every
command runs with a timeout (--timeout).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpora  # noqa: E402
from peers import Command, Measurement, Tool, Workspace, disk_usage, make_tools, measure  # noqa: E402

MiB = 1 << 20
ROOT = corpora.ROOT
CORPUS_ORDER = corpora.CORPORA
REFERENCE = "restic"
SUBJECT = "snapstore"
STEPS = ("initial", "incremental", "unchanged", "restore", "prune")
SPEED_STEPS = ("initial", "incremental", "unchanged", "restore")
INITIAL_TARGETS = {"compressed": 1.5, "db": 1.5, "small": 1.0}
FAST_TARGET = 1.5

Record = dict[str, Any]


# --- the live tree --------------------------------------------------------------------------


def copy_file(src: Path, dst: Path) -> None:
    """Replace dst by a copy of src (new inode, like a checkout), with src's mode and times."""
    tmp = dst.with_name(f".{dst.name}.sync")
    shutil.copy2(src, tmp)
    os.replace(tmp, dst)


def same_file(src: os.stat_result, dst: Path) -> bool:
    try:
        st = dst.lstat()
    except FileNotFoundError:
        return False
    return st.st_size == src.st_size and st.st_mtime_ns == src.st_mtime_ns


def sync_tree(src: Path, dst: Path) -> dict[str, int]:
    """Make dst equal to src, rewriting only files whose size or mtime differ, deleting extras."""
    counts = {"copied": 0, "kept": 0, "removed": 0}
    wanted: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(src):
        relative = os.path.relpath(dirpath, src)
        (dst / relative).mkdir(parents=True, exist_ok=True)
        wanted.add(os.path.normpath(relative))
        for name in filenames:
            rel = os.path.normpath(os.path.join(relative, name))
            wanted.add(rel)
            st = os.lstat(os.path.join(dirpath, name))
            if same_file(st, dst / rel):
                counts["kept"] += 1
            else:
                copy_file(Path(dirpath, name), dst / rel)
                counts["copied"] += 1
    for dirpath, dirnames, filenames in os.walk(dst, topdown=False):
        relative = os.path.relpath(dirpath, dst)
        for name in filenames:
            if os.path.normpath(os.path.join(relative, name)) not in wanted:
                os.unlink(os.path.join(dirpath, name))
                counts["removed"] += 1
        if os.path.normpath(relative) not in wanted:
            os.rmdir(dirpath)
    os.sync()
    return counts


def warm_tree(root: Path) -> None:
    """Read every file under root, so that its pages are in the page cache."""
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            try:
                fd = os.open(os.path.join(dirpath, name), os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                continue  # a socket, a file gone meanwhile: nothing to warm
            try:
                while os.read(fd, 1 << 20):
                    pass
            finally:
                os.close(fd)


def verify_restore(source: Path, restored: Path, timeout: float) -> tuple[bool, str]:
    """diff -r of the restored tree against the source: (identical, first lines of differences)."""
    if not restored.is_dir():
        return False, f"restored tree {restored} does not exist"
    try:
        result = subprocess.run(["diff", "-r", "-q", "--no-dereference", str(source), str(restored)],
                                capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, "diff -r timed out"
    if result.returncode == 0:
        return True, ""
    lines = (result.stdout + result.stderr).splitlines()
    return False, f"{len(lines)} differences, first: " + " | ".join(lines[:5])


# --- running the steps ----------------------------------------------------------------------


class Results:
    """Everything measured, saved as JSON after every step so that a partial run is kept."""

    def __init__(self, path: Path, meta: dict[str, Any]) -> None:
        self.path = path
        self.data: dict[str, Any] = {"meta": meta, "steps": [], "sizes": [], "restores": []}

    def add(self, kind: str, record: Record) -> None:
        self.data[kind].append(record)
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1) + "\n")
        os.replace(tmp, self.path)


class Runner:
    """Runs the steps of one corpus for all tools, one repetition at a time."""

    def __init__(self, tools: list[Tool], work: Path, results: Results, timeout: float) -> None:
        self.tools = tools
        self.work = work
        self.results = results
        self.timeout = timeout
        self.broken: set[str] = set()

    def workspace(self, corpus: str, tool: Tool) -> Workspace:
        return Workspace(self.work / "repos" / corpus / tool.name)

    def step(self, corpus: str, rep: int, tool: Tool, step: str, commands: list[Command],
             data_bytes: int | None) -> Record | None:
        """Run the commands of one step, record seconds (sum) and peak RSS (max)."""
        if tool.name in self.broken:
            return None
        ws = self.workspace(corpus, tool)
        log = self.work / "logs" / f"{corpus}-rep{rep}-{tool.name}-{step}.log"
        log.unlink(missing_ok=True)
        # What the previous step wrote reaches the disk first: a tool must not pay for the
        # writeback of another's 1.5 GB repository (the small corpus's third tool lost 2-7 s).
        os.sync()
        runs: list[Measurement] = []
        for command in commands:
            runs.append(measure(command, tool.env(ws), self.timeout, log))
            if not runs[-1].ok:
                break
        failed = next((m for m in runs if not m.ok), None)
        rss = [m.rss_kib for m in runs if m.rss_kib is not None]
        record: Record = {
            "corpus": corpus, "rep": rep, "tool": tool.name, "step": step,
            "seconds": sum(m.seconds for m in runs), "rss_kib": max(rss) if rss else None,
            "bytes": data_bytes, "ok": failed is None, "commands": [m.command for m in runs],
        }
        if failed is not None:
            record["error"] = f"exit {failed.returncode}{' (timeout)' if failed.timed_out else ''}, see {log}"
            self.broken.add(tool.name)
        self.results.add("steps", record)
        status = "ok" if failed is None else f"FAILED ({record['error']})"
        rss_text = f"{record['rss_kib'] / 1024:.0f} MiB" if record["rss_kib"] else "? MiB"
        print(f"  {corpus} rep {rep} {step:10} {tool.name:9} {record['seconds']:8.2f} s {rss_text:>9} {status}",
              flush=True)
        return record

    def size(self, corpus: str, rep: int, tool: Tool, when: str) -> None:
        if tool.name in self.broken:
            return
        usage = disk_usage(self.workspace(corpus, tool).repo)
        self.results.add("sizes", {"corpus": corpus, "rep": rep, "tool": tool.name, "when": when, **usage})

    def restore(self, corpus: str, rep: int, tool: Tool, live: Path, name: str, data_bytes: int) -> None:
        # Every restore gets a folder of its own, kept until the corpus is done: on ext4, files
        # created within minutes of a mass deletion are several times slower to create (inode
        # allocation skips recently freed inodes), so deleting one tool's restored tree just before
        # the next tool's restore made the tools' order decide the small-files ratio.
        target = self.work / "restore" / f"{corpus}-{rep}-{tool.name}"
        shutil.rmtree(target, ignore_errors=True)
        os.sync()
        record = self.step(corpus, rep, tool, "restore", tool.restore(self.workspace(corpus, tool), target, name),
                           data_bytes)
        if record is not None and record["ok"]:
            identical, detail = verify_restore(live, target / live.relative_to("/"), self.timeout)
            self.results.add("restores", {"corpus": corpus, "rep": rep, "tool": tool.name,
                                          "identical": identical, "detail": detail})
            if not identical:
                print(f"!!! RESTORE MISMATCH: {tool.name} on {corpus} rep {rep}: {detail}", flush=True)

    def repetition(self, corpus: str, versions: list[Path], sizes: list[int], rep: int) -> None:
        """All steps of one repetition of one corpus, tools alternating within each step."""
        shift = (rep - 1) % len(self.tools)
        order = self.tools[shift:] + self.tools[:shift]
        self.broken = set()
        live = self.work / "live" / corpus
        for tool in order:
            ws = self.workspace(corpus, tool)
            ws.create()
            self.step(corpus, rep, tool, "init", tool.init(ws), None)
        for index, version in enumerate(versions):
            counts = sync_tree(version, live)
            step = "initial" if index == 0 else f"incr-{version.name}"
            print(f"  {corpus} rep {rep}: live tree at {version.name} ({counts['copied']} files written, "
                  f"{counts['kept']} kept, {counts['removed']} removed)", flush=True)
            for tool in order:
                warm_tree(live)  # borg, if it ran before, dropped the pages it read
                self.step(corpus, rep, tool, step, tool.backup(self.workspace(corpus, tool), live, version.name),
                          sizes[index])
        for tool in order:
            warm_tree(live)
            self.step(corpus, rep, tool, "unchanged", tool.backup(self.workspace(corpus, tool), live, "again"),
                      sizes[-1])
        for tool in order:
            self.size(corpus, rep, tool, "after-backups")
        for tool in order:
            self.restore(corpus, rep, tool, live, "again", sizes[-1])
        for tool in order:
            commands = tool.forget_prune(self.workspace(corpus, tool))
            if commands is None:
                print(f"  {corpus} rep {rep} prune      {tool.name:9}      n/a (no forget command yet)", flush=True)
                continue
            self.step(corpus, rep, tool, "prune", commands, None)
            self.size(corpus, rep, tool, "after-prune")

    def cleanup(self, corpus: str) -> int:
        """Delete what the corpus's runs left; return how many files that was."""
        deleted = 0
        folders = [self.workspace(corpus, tool).root for tool in self.tools]
        folders += [self.work / "live" / corpus, *(self.work / "restore").glob(f"{corpus}-*")]
        for folder in folders:
            deleted += sum(len(files) for _, _, files in os.walk(folder))
            shutil.rmtree(folder, ignore_errors=True)
        os.sync()
        return deleted


# On this machine's ext4 (no journal), a new inode skips inodes freed in the last 60 s, or 360 s
# while their inode table block is dirty, and each skip costs a lookup: a restore right after a
# mass deletion spent 40 % of its CPU in find_inode_bit/recently_deleted and took 2-3 times as
# long (docs/benchmarks.md). Runs therefore delete nothing between corpora, and wait this long
# after deleting what an earlier run left.
SETTLE_SECONDS = 360
MANY_DELETED = 10_000


# --- report ---------------------------------------------------------------------------------


def median(values: Iterable[float]) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None


def per_rep(data: dict[str, Any], corpus: str, step: str, key: str) -> dict[str, dict[int, float]]:
    """tool -> rep -> value of a step (seconds or rss_kib); incremental adds v2..vN (rss: max)."""
    out: dict[str, dict[int, float]] = {}
    for r in data["steps"]:
        if r["corpus"] != corpus or not r["ok"] or r[key] is None:
            continue
        if r["step"] == step or (step == "incremental" and r["step"].startswith("incr-")):
            slot = out.setdefault(r["tool"], {})
            if key == "rss_kib":
                slot[r["rep"]] = max(slot.get(r["rep"], 0), r[key])
            else:
                slot[r["rep"]] = slot.get(r["rep"], 0) + r[key]
    return out


def bytes_per_rep(data: dict[str, Any], corpus: str, step: str) -> dict[tuple[str, int], int]:
    out: dict[tuple[str, int], int] = {}
    for r in data["steps"]:
        if r["corpus"] == corpus and r["ok"] and r["bytes"] and (
                r["step"] == step or (step == "incremental" and r["step"].startswith("incr-"))):
            out[(r["tool"], r["rep"])] = out.get((r["tool"], r["rep"]), 0) + r["bytes"]
    return out


def ratio(values: dict[str, dict[int, float]], tool: str, invert: bool) -> float | None:
    """Median over repetitions of tool/restic (or restic/tool when invert)."""
    mine, ref = values.get(tool, {}), values.get(REFERENCE, {})
    pairs = [(mine[k], ref[k]) for k in mine if k in ref and mine[k] > 0 and ref[k] > 0]
    return median((b / a) if invert else (a / b) for a, b in pairs)


def sizes_per_rep(data: dict[str, Any], corpus: str, when: str) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {}
    for r in data["sizes"]:
        if r["corpus"] == corpus and r["when"] == when:
            out.setdefault(r["tool"], {})[r["rep"]] = r["disk"]
    return out


def fmt(value: float | None, spec: str, missing: str = "-") -> str:
    """format(value, spec), or `missing` right-aligned to the same width."""
    width = spec.split(".")[0]
    return format(missing, ">" + width) if value is None else format(value, spec)


def summarize(data: dict[str, Any], corpus: str) -> dict[str, Any]:
    """Medians and ratios of one corpus, keyed step -> tool -> figure."""
    tools = data["meta"]["tools"]
    summary: dict[str, Any] = {"steps": {}, "sizes": {}}
    for step in STEPS:
        seconds = per_rep(data, corpus, step, "seconds")
        rss = per_rep(data, corpus, step, "rss_kib")
        nbytes = bytes_per_rep(data, corpus, step)
        rows = {}
        for tool in tools:
            if tool not in seconds:
                continue
            rates = [nbytes[(tool, k)] / v / 1e6 for k, v in seconds[tool].items() if (tool, k) in nbytes and v > 0]
            rows[tool] = {
                "seconds": median(seconds[tool].values()), "mb_s": median(rates),
                "speed_x": ratio(seconds, tool, invert=True), "rss_mib": median(v / 1024 for v in rss.get(tool, {}).values()),
                "rss_x": ratio(rss, tool, invert=False),
            }
        summary["steps"][step] = rows
    for when in ("after-backups", "after-prune"):
        sizes = sizes_per_rep(data, corpus, when)
        summary["sizes"][when] = {tool: {"mib": median(v / MiB for v in sizes[tool].values()),
                                         "x": ratio(sizes, tool, invert=False)} for tool in tools if tool in sizes}
    return summary


def corpus_header(data: dict[str, Any], corpus: str) -> str:
    versions = data["meta"]["corpora"].get(corpus, {})
    first = next(iter(versions.values()), None)
    last = list(versions.values())[-1] if versions else None
    if not first or not last:
        return corpus
    reps = sorted({r["rep"] for r in data["steps"] if r["corpus"] == corpus})
    return (f"{corpus}: {len(versions)} version(s), v1 {first['bytes'] / MiB:.1f} MiB in {first['files']} files, "
            f"latest {last['bytes'] / MiB:.1f} MiB in {last['files']} files; {len(reps)} repetition(s)")


def print_corpus(data: dict[str, Any], corpus: str, summary: dict[str, Any]) -> None:
    print(f"\n## {corpus_header(data, corpus)}")
    print(f"{'step':12} {'tool':10} {'seconds':>9} {'MB/s':>8} {'speed x restic':>15} {'RSS MiB':>8} "
          f"{'RSS / restic':>13}")
    for step in STEPS:
        for tool in data["meta"]["tools"]:
            row = summary["steps"][step].get(tool)
            if row is None:
                failed = any(r["corpus"] == corpus and r["tool"] == tool and not r["ok"]
                             and (r["step"] == step or step == "incremental" and r["step"].startswith("incr-"))
                             for r in data["steps"])
                if failed or step == "prune":
                    print(f"{step:12} {tool:10} {'FAILED' if failed else 'n/a':>9}")
                continue
            print(f"{step:12} {tool:10} {fmt(row['seconds'], '9.2f')} {fmt(row['mb_s'], '8.1f')} "
                  f"{fmt(row['speed_x'], '14.2f')}x {fmt(row['rss_mib'], '8.0f')} {fmt(row['rss_x'], '12.2f')}x")
    for when, sizes in summary["sizes"].items():
        for tool, row in sizes.items():
            print(f"{'size ' + when:24} {tool:10} {fmt(row['mib'], '9.1f')} MiB on disk, "
                  f"{fmt(row['x'], '.2f')}x restic")
    for r in data["restores"]:
        if r["corpus"] == corpus and not r["identical"]:
            print(f"!!! restore of {r['tool']} rep {r['rep']} differs from the source: {r['detail']}")
    checked = [r for r in data["restores"] if r["corpus"] == corpus]
    if checked and all(r["identical"] for r in checked):
        tools = sorted({r["tool"] for r in checked})
        print(f"restores identical to the source (diff -r): {', '.join(tools)}")


def verdict(ok: bool | None) -> str:
    return {True: "MET    ", False: "NOT MET", None: "n/a    "}[ok]


def speed_line(summary: dict[str, Any], corpus: str, step: str, goal: float, label: str) -> str:
    rows = summary["steps"][step]
    mine, ref = rows.get(SUBJECT), rows.get(REFERENCE)
    x = mine["speed_x"] if mine else None
    detail = (f"{fmt(x, '.2f')}x (snapstore {fmt(mine['seconds'], '.2f')} s, restic {fmt(ref['seconds'], '.2f')} s)"
              if mine and ref else "not measured")
    return f"{verdict(None if x is None else x >= goal)} {label} >= {goal}x restic on {corpus}: {detail}"


def size_line(summary: dict[str, Any], corpus: str) -> str:
    sizes = summary["sizes"]["after-backups"]
    mine, ref = sizes.get(SUBJECT), sizes.get(REFERENCE)
    x = mine["x"] if mine else None
    detail = (f"{fmt(x, '.2f')}x (snapstore {fmt(mine['mib'], '.1f')} MiB, restic {fmt(ref['mib'], '.1f')} MiB)"
              if mine and ref else "not measured")
    return f"{verdict(None if x is None else x <= 1.0)} repository size <= restic on {corpus}: {detail}"


def rss_line(summary: dict[str, Any], corpus: str) -> str:
    worst: tuple[float, str, float, float] | None = None
    for step in STEPS:
        mine, ref = summary["steps"][step].get(SUBJECT), summary["steps"][step].get(REFERENCE)
        if mine and ref and mine["rss_x"] is not None:
            if worst is None or mine["rss_x"] > worst[0]:
                worst = (mine["rss_x"], step, mine["rss_mib"], ref["rss_mib"])
    if worst is None:
        return f"{verdict(None)} peak RSS <= restic on every step of {corpus}: not measured"
    x, step, mine_mib, ref_mib = worst
    return (f"{verdict(x <= 1.0)} peak RSS <= restic on every step of {corpus}: worst {step} {x:.2f}x "
            f"(snapstore {mine_mib:.0f} MiB, restic {ref_mib:.0f} MiB)")


def print_targets(summaries: dict[str, dict[str, Any]]) -> None:
    print("\n## Targets of the issue (snapstore against restic, medians of per-repetition ratios)")
    for corpus, summary in summaries.items():
        if corpus in INITIAL_TARGETS:
            print(speed_line(summary, corpus, "initial", INITIAL_TARGETS[corpus], "initial backup"))
    for corpus, summary in summaries.items():
        print(speed_line(summary, corpus, "unchanged", FAST_TARGET, "unchanged re-backup"))
    for corpus, summary in summaries.items():
        print(speed_line(summary, corpus, "restore", FAST_TARGET, "full restore"))
    for corpus, summary in summaries.items():
        print(size_line(summary, corpus))
    for corpus, summary in summaries.items():
        print(rss_line(summary, corpus))


def plot(summaries: dict[str, dict[str, Any]], tools: list[str], path: Path) -> None:
    """Grouped bars: MB/s of initial backup and of restore, per corpus and tool."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    corpora_names = list(summaries)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.8 / max(1, len(tools))
    for ax, step, title in zip(axes, ("initial", "restore"), ("Initial backup", "Full restore")):
        for i, tool in enumerate(tools):
            values = [(summaries[c]["steps"][step].get(tool) or {}).get("mb_s") or 0 for c in corpora_names]
            xs = [j + (i - (len(tools) - 1) / 2) * width for j in range(len(corpora_names))]
            bars = ax.bar(xs, values, width, label=tool)
            ax.bar_label(bars, fmt="%.0f", fontsize=7)
        ax.set_xticks(range(len(corpora_names)), corpora_names)
        ax.set_title(f"{title} (median MB/s, higher is better)")
        ax.set_ylabel("MB/s")
    axes[0].legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def report(data: dict[str, Any], plot_path: Path | None) -> None:
    meta = data["meta"]
    print(f"\n# Backup and restore benchmark, {meta['date']}, {meta['machine']}")
    for tool, version in meta["versions"].items():
        print(f"#   {tool}: {version}")
    print("# medians; speed x restic = restic s / tool s (>1 faster); RSS and size / restic (<1 smaller); "
          "MB = 10^6 B; page cache warm")
    run_corpora = [c for c in meta["corpora"] if any(r["corpus"] == c for r in data["steps"])]
    summaries = {c: summarize(data, c) for c in run_corpora}
    for corpus in run_corpora:
        print_corpus(data, corpus, summaries[corpus])
    if SUBJECT in meta["tools"] and REFERENCE in meta["tools"]:
        print_targets(summaries)
    if plot_path is not None and summaries:
        try:
            plot(summaries, meta["tools"], plot_path)
            print(f"\nplot: {plot_path}")
        except ImportError:
            print("\nplot skipped: matplotlib is not installed (pip install matplotlib)")


# --- driver ---------------------------------------------------------------------------------


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    return f"{os.cpu_count()} cores, {mem:.0f} GiB, {platform.platform()}, Python {platform.python_version()}"


def load_corpus(folder: Path, name: str, scale: float | None) -> tuple[list[Path], list[int], dict[str, Any]]:
    """Versions of a corpus, their sizes in bytes and manifest stats; built first with --scale."""
    if scale is not None:
        corpora.build(name, folder, scale)
    corpus = folder / name
    manifest_path = corpus / corpora.MANIFEST
    if not manifest_path.exists():
        raise SystemExit(f"no corpus {corpus}: run `python bench/corpora.py --out {folder} --only {name}` "
                         f"or pass --scale")
    stats = json.loads(manifest_path.read_text())["versions"]
    versions = corpora.versions_of(corpus)
    return versions, [stats[v.name]["bytes"] for v in versions], stats


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default=",".join(CORPUS_ORDER), help="comma-separated corpora")
    parser.add_argument("--tools", default="snapstore,restic,borg", help="comma-separated tools")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpora-dir", type=Path, default=corpora.DEFAULT_OUT)
    parser.add_argument("--scale", type=float, default=None, help="build missing corpora at this scale first")
    parser.add_argument("--work", type=Path, default=ROOT / ".bench" / "work", help="repositories, live trees, logs")
    parser.add_argument("--results", type=Path, default=ROOT / ".bench" / "results.json")
    parser.add_argument("--plot", type=Path, default=ROOT / ".bench" / "throughput.png")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed to any one command")
    parser.add_argument("--snapstore-ref", help="benchmark snapstore/ of this commit (e.g. HEAD) instead "
                        "of the work tree, which others may edit during a run")
    parser.add_argument("--from-results", type=Path, help="print the report of a saved run and exit")
    args = parser.parse_args()
    args.corpora = [c for c in args.corpora.split(",") if c]
    args.tools = [t for t in args.tools.split(",") if t]
    if set(args.corpora) - set(CORPUS_ORDER) or set(args.tools) - {"snapstore", "restic", "borg"}:
        parser.error("unknown corpus or tool")
    return args


def main() -> None:
    args = parse_args()
    if args.from_results:
        report(json.loads(args.from_results.read_text()), args.plot)
        return
    tools = make_tools(args.tools, args.snapstore_ref)
    loaded = {name: load_corpus(args.corpora_dir.resolve(), name, args.scale) for name in args.corpora}
    meta = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": machine(),
            "versions": {t.name: t.version() for t in tools}, "tools": args.tools, "repeat": args.repeat,
            "corpora_dir": str(args.corpora_dir), "corpora": {n: v[2] for n, v in loaded.items()}, "done": []}
    results = Results(args.results, meta)
    work = args.work.resolve()
    runner = Runner(tools, work, results, args.timeout)
    if sum(runner.cleanup(name) for name in CORPUS_ORDER) >= MANY_DELETED:
        print(f"# deleted what an earlier run left; waiting {SETTLE_SECONDS} s for the file system", flush=True)
        time.sleep(SETTLE_SECONDS)
    started = time.perf_counter()
    for name, (versions, sizes, _) in loaded.items():
        print(f"# {name}: {len(versions)} version(s), {args.repeat} repetition(s)", flush=True)
        for rep in range(1, args.repeat + 1):
            runner.repetition(name, versions, sizes, rep)
        meta["done"].append(name)
        results.save()
    print(f"# all runs took {time.perf_counter() - started:.0f} s; results in {args.results}")
    for name in loaded:  # at the end only: see SETTLE_SECONDS
        runner.cleanup(name)
    report(results.data, args.plot)


if __name__ == "__main__":
    main()
