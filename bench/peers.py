"""The tools compared by bench/backup_restore.py: snapstore, restic and borg, and how each is timed.

Each step of the benchmark is one or more commands of a tool, run in a fresh process under
`/usr/bin/time -f '%e %M'`: wall seconds (measured here, around the whole process) and the peak
resident set size of the command with all its child processes together. GNU time's %M is the
peak of the largest single process only, so the processes of the command's process group are
also sampled every 0.1 s and their RSS summed; the peak is the larger of the two (snapstore's
small-file helper processes count so; restic and borg run in one process, where both agree). A
step of several commands (borg prune + borg compact) adds the seconds and takes the largest peak.

restic and borg come from Debian (`apt-get install -y restic borgbackup time` when missing),
with their default settings: restic's repository format 2 with `auto` compression, borg's
`repokey` encryption with lz4. Every tool gets its own repository, cache and HOME folder in a
workspace, and the passwords come from files or variables, never a prompt.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

TIME = "/usr/bin/time"
APT_PACKAGES = {"restic": "restic", "borg": "borgbackup", TIME: "time"}
PASSWORD = "snapstore-bench-password"
FOREIGN_PREFIXES = ("SNAP_", "RESTIC_", "BORG_")


@dataclass
class Measurement:
    """One command: wall seconds, peak RSS in KiB (None if unknown) and how it ended."""

    command: list[str]
    seconds: float
    rss_kib: int | None
    returncode: int
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


@dataclass
class Workspace:
    """Folders of one tool in one repetition: repository, cache, HOME, password file."""

    root: Path
    repo: Path = field(init=False)
    cache: Path = field(init=False)
    home: Path = field(init=False)
    password_file: Path = field(init=False)

    def __post_init__(self) -> None:
        self.repo = self.root / "repo"
        self.cache = self.root / "cache"
        self.home = self.root / "home"
        self.password_file = self.root / "password"

    def create(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self.cache.mkdir(parents=True)
        self.home.mkdir()
        self.password_file.write_text(PASSWORD + "\n")


@dataclass
class Command:
    argv: list[str]
    cwd: Path | None = None


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a command started in its own session: TERM, then KILL after 10 s."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 30)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def parse_rss(report: Path) -> int | None:
    """GNU time's last line is '%e %M'; before it may stand 'Command exited with ...'."""
    try:
        lines = report.read_text().strip().splitlines()
        return int(lines[-1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
SAMPLE_SECONDS = 0.1


def group_rss_kib(group: int, leader: int) -> int:
    """Summed RSS of the processes in process group `group`, the `leader` (GNU time) left out."""
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == leader:
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            if int(fields[2]) != group:  # field 5, pgrp, counted after the name's ")"
                continue
            with open(f"/proc/{name}/statm", "rb") as f:
                total += int(f.read().split()[1]) * PAGE_KIB
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
    return total


class GroupSampler(threading.Thread):
    """Samples `group_rss_kib` until stopped; `peak_kib` is the largest sum seen."""

    def __init__(self, group: int) -> None:
        super().__init__(daemon=True)
        self.group = group
        self.peak_kib = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(SAMPLE_SECONDS):
            self.peak_kib = max(self.peak_kib, group_rss_kib(self.group, self.group))

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak_kib


def measure(cmd: Command, env: dict[str, str], timeout: float, log: Path) -> Measurement:
    """Run one command under GNU time, its output appended to log, within timeout seconds."""
    report = log.with_suffix(".time")
    argv = [TIME, "-f", "%e %M", "-o", str(report), *cmd.argv]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"$ {' '.join(cmd.argv)}  (cwd {cmd.cwd or os.getcwd()})\n".encode())
        out.flush()
        start = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cmd.cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        expired = threading.Event()

        def on_timeout() -> None:
            expired.set()
            kill_group(process)

        # A blocking wait, not Popen.wait(timeout=), which polls every 50 ms and so rounds times.
        timer = threading.Timer(timeout, on_timeout)
        timer.start()
        sampler = GroupSampler(process.pid)  # the session's group id is GNU time's pid
        sampler.start()
        try:
            returncode = process.wait()
        finally:
            timer.cancel()
            sampled = sampler.stop()
        seconds = time.perf_counter() - start
        timed_out = expired.is_set()
        out.write(f"# exit {returncode}{' (timeout)' if timed_out else ''} after {seconds:.2f} s\n".encode())
    rss = parse_rss(report)
    return Measurement(cmd.argv, seconds, max(rss, sampled) if rss is not None else None, returncode, timed_out)


def base_env(ws: Workspace) -> dict[str, str]:
    """The caller's environment without other repositories' settings, with a private HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
    env["HOME"] = str(ws.home)
    env["LC_ALL"] = "C.UTF-8"
    return env


class Tool:
    """A backup program: the commands of each benchmark step, in its own workspace."""

    name = ""

    def version(self) -> str:
        raise NotImplementedError

    def env(self, ws: Workspace) -> dict[str, str]:
        raise NotImplementedError

    def init(self, ws: Workspace) -> list[Command]:
        raise NotImplementedError

    def backup(self, ws: Workspace, path: Path, name: str) -> list[Command]:
        raise NotImplementedError

    def restore(self, ws: Workspace, target: Path, name: str) -> list[Command]:
        raise NotImplementedError

    def forget_prune(self, ws: Workspace) -> list[Command] | None:
        """Keep only the last snapshot and free the rest; None if the tool cannot yet."""
        raise NotImplementedError


def output(argv: list[str]) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    return (result.stdout or result.stderr).strip()


ROOT = Path(__file__).resolve().parent.parent
ENTRY = "import sys\nfrom snapstore.cli.main import main\nsys.exit(main())\n"


def pin_snapstore(ref: str, into: Path) -> tuple[Path, str]:
    """Export snapstore/ of commit `ref` with the chunker built in the work tree, its modules
    compiled to bytecode as `pip install` does; return the script that runs its `snap` and the
    commit. Others may edit the work tree during a long run."""
    commit = subprocess.run(["git", "rev-parse", ref], cwd=ROOT, capture_output=True, text=True,
                            check=True, timeout=60).stdout.strip()
    folder = into / f"snapstore-{commit[:12]}"
    if not (folder / "snap.py").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", commit, "snapstore"], cwd=ROOT, capture_output=True,
                                 check=True, timeout=120).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True, timeout=120)
        for built in (ROOT / "snapstore" / "chunker").glob("_fastcdc*.so"):
            shutil.copy2(built, folder / "snapstore" / "chunker" / built.name)
        # Without it, a run under PYTHONDONTWRITEBYTECODE=1 compiles every module at each start
        # (about 0.05 s per command), which no installed copy does.
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder / "snapstore")],
                       check=True, timeout=300)  # fmt: skip
        (folder / "snap.py").write_text(ENTRY)
    return folder / "snap.py", commit


class Snapstore(Tool):
    """The installed `snap` (the work tree, with pip install -e .), or a pinned commit's."""

    name = "snapstore"

    def __init__(self, ref: str | None = None, pin_dir: Path | None = None) -> None:
        self.commit = ""
        if ref:
            script, self.commit = pin_snapstore(ref, pin_dir or ROOT / ".bench" / "pinned")
            self.exe = [sys.executable, str(script)]
        else:
            beside = Path(sys.executable).with_name("snap")
            found = str(beside) if beside.exists() else shutil.which("snap")
            if not found:
                raise RuntimeError("no `snap` command: pip install -e . first")
            self.exe = [found]
        help_run = subprocess.run([*self.exe, "forget", "--help"], capture_output=True, timeout=60)
        self.has_forget = help_run.returncode == 0

    def version(self) -> str:
        lines = output([*self.exe, "version"]).splitlines()
        where = f" at commit {self.commit}" if self.commit else " (work tree)"
        return (lines[0] if lines else "?") + where + ("" if self.has_forget else ", no forget command")

    def env(self, ws: Workspace) -> dict[str, str]:
        return {**base_env(ws), "SNAP_REPOSITORY": str(ws.repo), "SNAP_PASSWORD_FILE": str(ws.password_file),
                "SNAP_CACHE_DIR": str(ws.cache)}

    def init(self, ws: Workspace) -> list[Command]:
        return [Command([*self.exe, "init"])]

    def backup(self, ws: Workspace, path: Path, name: str) -> list[Command]:
        return [Command([*self.exe, "backup", str(path)])]

    def restore(self, ws: Workspace, target: Path, name: str) -> list[Command]:
        return [Command([*self.exe, "restore", "latest", "--target", str(target)])]

    def forget_prune(self, ws: Workspace) -> list[Command] | None:
        if not self.has_forget:
            return None
        # snapstore deletes garbage one prune after marking it (after a grace period, so that
        # backups running elsewhere are never broken); with no backup running, --grace 0h and a
        # second prune free the space at once, as restic's single prune does.
        return [
            Command([*self.exe, "forget", "--keep-last", "1", "--prune", "--grace", "0h"]),
            Command([*self.exe, "prune", "--grace", "0h"]),
        ]


class Restic(Tool):
    name = "restic"

    def version(self) -> str:
        return output(["restic", "version"])

    def env(self, ws: Workspace) -> dict[str, str]:
        return {**base_env(ws), "RESTIC_REPOSITORY": str(ws.repo), "RESTIC_PASSWORD_FILE": str(ws.password_file),
                "RESTIC_CACHE_DIR": str(ws.cache)}

    def init(self, ws: Workspace) -> list[Command]:
        return [Command(["restic", "init"])]

    def backup(self, ws: Workspace, path: Path, name: str) -> list[Command]:
        return [Command(["restic", "backup", str(path)])]

    def restore(self, ws: Workspace, target: Path, name: str) -> list[Command]:
        return [Command(["restic", "restore", "latest", "--target", str(target)])]

    def forget_prune(self, ws: Workspace) -> list[Command] | None:
        return [Command(["restic", "forget", "--keep-last", "1", "--prune"])]


class Borg(Tool):
    """borg 1.x: archives are named after the step; extract runs inside the target folder."""

    name = "borg"

    def version(self) -> str:
        return output(["borg", "--version"])

    def env(self, ws: Workspace) -> dict[str, str]:
        return {**base_env(ws), "BORG_REPO": str(ws.repo), "BORG_PASSPHRASE": PASSWORD,
                "BORG_BASE_DIR": str(ws.home), "BORG_CACHE_DIR": str(ws.cache),
                "BORG_DISPLAY_PASSPHRASE": "no"}

    def init(self, ws: Workspace) -> list[Command]:
        return [Command(["borg", "init", "-e", "repokey"])]

    def backup(self, ws: Workspace, path: Path, name: str) -> list[Command]:
        return [Command(["borg", "create", f"::{name}", str(path)])]

    def restore(self, ws: Workspace, target: Path, name: str) -> list[Command]:
        target.mkdir(parents=True, exist_ok=True)
        return [Command(["borg", "extract", f"::{name}"], cwd=target)]

    def forget_prune(self, ws: Workspace) -> list[Command] | None:
        commands = [Command(["borg", "prune", "--keep-last", "1"])]
        if subprocess.run(["borg", "compact", "--help"], capture_output=True, timeout=60).returncode == 0:
            commands.append(Command(["borg", "compact"]))
        return commands


TOOLS: dict[str, type[Tool]] = {"snapstore": Snapstore, "restic": Restic, "borg": Borg}


def ensure_installed(names: list[str]) -> None:
    """Install restic, borg and GNU time from Debian's packages if any of them is missing."""
    wanted = [TIME] + [n for n in names if n in APT_PACKAGES]
    missing = [APT_PACKAGES[n] for n in wanted if shutil.which(n) is None]
    if not missing:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"installing {' '.join(missing)} with apt-get ...", flush=True)
    subprocess.run(["apt-get", "update"], check=True, timeout=600, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", *missing], check=True, timeout=1200, env=env, capture_output=True)


def make_tools(names: list[str], snapstore_ref: str | None = None) -> list[Tool]:
    ensure_installed(names)
    return [Snapstore(snapstore_ref) if name == "snapstore" else TOOLS[name]() for name in names]


def disk_usage(path: Path) -> dict[str, int]:
    """Bytes allocated on disk (like du) and apparent bytes (sum of sizes) under path."""
    allocated = apparent = 0
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            allocated += st.st_blocks * 512
            apparent += st.st_size
    return {"disk": allocated, "apparent": apparent}
