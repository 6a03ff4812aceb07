"""Build the corpora of the backup and restore benchmark (bench/backup_restore.py).

    python bench/corpora.py [--out .bench/corpora] [--only NAME[,NAME]] [--scale 1.0]

Four corpora, each a folder `<out>/<name>/` holding one folder per version (`v1`, `v2`, ...)
and a `manifest.json` written last:

- `source`: five successive patch releases of Django (sdists from PyPI, unpacked, top folder
  stripped). A file whose content did not change keeps the previous version's mtime, so that
  syncing one version over the other touches only what a `git pull` would.
- `db`: five plain-SQL `pg_dump`s (`v<i>/db.sql`) of a `pgbench -i -s 20` database, with
  `pgbench -T 10` between dumps, made by a private PostgreSQL server on a free loopback port.
- `db-slow` (only with `--only db-slow`, for bench/db_dedup.py): the same with the rate limited
  to 20 transactions per second (`pgbench -T 10 -R 20`), a slowly changing database.
- `compressed`: about 1 GiB of already-compressed files of this machine (wheels, .gz, .xz,
  .zip, .jar, .jpg, ... of at least 64 KiB), copied in sorted path order. One version.
- `small`: 200,000 files of 1 to 16 KiB (pseudo-random, partly compressible text) in a tree
  four folders deep with about 50 files per folder. One version.

`--scale` shrinks every corpus (file counts, sizes, pgbench scale and duration) for a quick run.
A corpus whose manifest matches the requested parameters and whose files are all there (count
and bytes) is not built again; anything else is rebuilt from scratch in `<name>.tmp` and renamed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import blake3

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / ".bench" / "corpora"
DOWNLOADS = ROOT / ".bench" / "downloads"
CORPORA = ("source", "db", "compressed", "small")
# Built only when asked for (--only db-slow): the database dedup benchmark (bench/db_dedup.py).
EXTRA_CORPORA = ("db-slow",)
MANIFEST = "manifest.json"

SOURCE_PROJECT = "Django"
SOURCE_VERSIONS = ("4.2.14", "4.2.15", "4.2.16", "4.2.17", "4.2.18")
DB_SCALE, DB_SECONDS, DB_DUMPS = 20, 10, 5
DB_SLOW_RATE = 20  # transactions per second: about 200 between dumps
PG_BIN = Path("/usr/lib/postgresql/15/bin")
COMPRESSED_BYTES = GiB
COMPRESSED_SUFFIXES = (".whl", ".gz", ".tgz", ".xz", ".bz2", ".zst", ".zip", ".jar", ".jpg", ".jpeg")
COMPRESSED_MIN_FILE = 64 * KiB
COMPRESSED_ROOTS = ("/usr", "/root/.pyenv", "/opt/wheels", "/opt/pypi")
SMALL_FILES, SMALL_PER_FOLDER, SMALL_DEPTH = 200_000, 50, 4
SMALL_MIN, SMALL_MAX = 1 * KiB, 16 * KiB
SMALL_POOL = 32 * MiB
TIMEOUT = 1800


@dataclass(frozen=True)
class Spec:
    """What a corpus is built from: compared with the manifest to decide whether to rebuild."""

    name: str
    scale: float
    params: dict[str, object]

    def key(self) -> dict[str, object]:
        return {"name": self.name, "scale": self.scale, "params": self.params, "format": 1}


# --- shared helpers -------------------------------------------------------------------------


def run(cmd: list[str], timeout: float = TIMEOUT, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    """Run a command with a bounded wait; raise with its stderr on failure."""
    result = subprocess.run(cmd, timeout=timeout, capture_output=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
    return result


def walk_files(root: Path) -> Iterator[Path]:
    """Regular files under root in sorted order, not following symbolic links."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if path.is_file() and not path.is_symlink():
                yield path


def tree_stats(root: Path) -> dict[str, int]:
    files = 0
    size = 0
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            files += 1
            size += os.lstat(os.path.join(dirpath, name)).st_size
    return {"files": files, "bytes": size}


def versions_of(corpus: Path) -> list[Path]:
    return sorted((p for p in corpus.iterdir() if p.is_dir() and p.name.startswith("v")),
                  key=lambda p: int(p.name[1:]))


def manifest_ok(corpus: Path, spec: Spec) -> bool:
    """True if the corpus was built with these parameters and every version is still complete."""
    try:
        manifest = json.loads((corpus / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    if manifest.get("spec") != spec.key():
        return False
    recorded = manifest.get("versions", {})
    actual = {v.name: tree_stats(v) for v in versions_of(corpus)}
    return bool(recorded) and recorded == actual


def write_manifest(corpus: Path, spec: Spec, extra: dict[str, object], seconds: float) -> None:
    versions = {v.name: tree_stats(v) for v in versions_of(corpus)}
    manifest = {"spec": spec.key(), "versions": versions, "build_seconds": round(seconds, 1), **extra}
    (corpus / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


# --- source: Django releases ----------------------------------------------------------------


def download_sdist(version: str, cache: Path) -> Path:
    """The sdist of SOURCE_PROJECT==version, downloaded once into cache."""
    cache.mkdir(parents=True, exist_ok=True)
    for path in cache.glob(f"{SOURCE_PROJECT}-{version}.tar.gz"):
        return path
    run(["pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", "-d", str(cache),
         f"{SOURCE_PROJECT}=={version}"], timeout=600)
    found = sorted(cache.glob(f"{SOURCE_PROJECT.lower()}-{version}.tar.gz")) + sorted(
        cache.glob(f"{SOURCE_PROJECT}-{version}.tar.gz"))
    if not found:
        raise RuntimeError(f"pip download left no sdist of {SOURCE_PROJECT}=={version} in {cache}")
    return found[0]


def keep_path(relative: str, scale: float) -> bool:
    """Whether a file belongs to the scaled-down corpus: the same decision in every version."""
    return scale >= 1 or zlib.crc32(relative.encode()) % 10_000 < scale * 10_000


def unpack_sdist(archive: Path, dest: Path, scale: float) -> None:
    """Unpack regular files of archive into dest, dropping the top folder (Django-X.Y.Z/)."""
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts[1:]
            if not member.isfile() or not parts:
                continue
            relative = "/".join(parts)
            if not keep_path(relative, scale):
                continue
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            target.write_bytes(source.read())
            os.chmod(target, member.mode & 0o755 | 0o644)
            os.utime(target, (member.mtime, member.mtime))


def carry_mtimes(previous: Path, current: Path) -> int:
    """Give files of current whose content equals previous's the previous mtime; count them."""
    same = 0
    for path in walk_files(current):
        old = previous / path.relative_to(current)
        if old.is_file() and old.stat().st_size == path.stat().st_size and old.read_bytes() == path.read_bytes():
            mtime = old.stat().st_mtime_ns
            os.utime(path, ns=(mtime, mtime))
            same += 1
    return same


def build_source(dest: Path, spec: Spec, out: Path) -> dict[str, object]:
    cache = DOWNLOADS
    unchanged: dict[str, int] = {}
    for i, version in enumerate(SOURCE_VERSIONS, start=1):
        archive = download_sdist(version, cache)
        unpack_sdist(archive, dest / f"v{i}", spec.scale)
        if i > 1:
            unchanged[f"v{i}"] = carry_mtimes(dest / f"v{i - 1}", dest / f"v{i}")
    return {"project": SOURCE_PROJECT, "releases": list(SOURCE_VERSIONS), "unchanged_files": unchanged}


# --- db: pg_dump of a pgbench database ------------------------------------------------------


def ensure_postgres() -> Path:
    """The PostgreSQL 15 bin folder, installing Debian's postgresql package if it is missing."""
    if not (PG_BIN / "initdb").exists():
        run(["apt-get", "update"], timeout=600)
        run(["apt-get", "install", "-y", "postgresql"], timeout=1200,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"no initdb in {PG_BIN} after installing postgresql")
    return PG_BIN


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_postgres(cmd: list[str], timeout: float = TIMEOUT, stdout: int | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run cmd as the postgres user (the server refuses to run as root)."""
    full = ["runuser", "-u", "postgres", "--", *cmd]
    if stdout is None:
        return run(full, timeout=timeout, cwd="/tmp")
    result = subprocess.run(full, timeout=timeout, stdout=stdout, stderr=subprocess.PIPE, cwd="/tmp")
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
    return result


class PrivateServer:
    """A throw-away PostgreSQL cluster in a temporary folder, listening on 127.0.0.1:<free port>."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.home = Path(tempfile.mkdtemp(prefix="snapbench-pg-"))
        self.data = self.home / "data"
        self.port = free_port()
        shutil.chown(self.home, "postgres", "postgres")

    def __enter__(self) -> PrivateServer:
        as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                     "--no-sync", "-E", "UTF8", "--locale=C"], timeout=300)
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off"
        as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.home / "log"),
                     "-o", options, "-w", "-t", "120", "start"], timeout=180)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60",
                         "stop"], timeout=120)
        finally:
            shutil.rmtree(self.home, ignore_errors=True)

    def client(self, tool: str, *args: str) -> list[str]:
        return [str(self.bin / tool), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", *args]


def build_db(dest: Path, spec: Spec, out: Path) -> dict[str, object]:
    scale = int(spec.params["pgbench_scale"])  # type: ignore[call-overload]
    seconds = int(spec.params["pgbench_seconds"])  # type: ignore[call-overload]
    transactions: list[str] = []
    with PrivateServer(ensure_postgres()) as server:
        as_postgres(server.client("createdb", "bench"))
        as_postgres(server.client("pgbench", "-i", "-q", "-s", str(scale), "bench"), timeout=1800)
        for i in range(1, DB_DUMPS + 1):
            if i > 1:
                rate = ["-R", str(spec.params["pgbench_rate"])] if "pgbench_rate" in spec.params else []
                result = as_postgres(server.client("pgbench", "-T", str(seconds), "-c", "2", "-j", "2", *rate,
                                                   "--random-seed", str(i), "bench"), timeout=seconds + 600)
                transactions.append(next((line for line in result.stdout.decode().splitlines()
                                          if "transactions actually processed" in line), "?").strip())
            version = dest / f"v{i}"
            version.mkdir(parents=True)
            with (version / "db.sql").open("wb") as f:
                as_postgres(server.client("pg_dump", "bench"), timeout=1800, stdout=f.fileno())
    rate = f" -R {spec.params['pgbench_rate']}" if "pgbench_rate" in spec.params else ""
    return {"pgbench": f"-i -s {scale}, then -T {seconds} -c 2{rate} between dumps", "runs": transactions}


# --- compressed: already-compressed files of this machine -----------------------------------


def compressed_candidates() -> Iterator[Path]:
    seen: set[tuple[int, int]] = set()
    for root in COMPRESSED_ROOTS:
        if not Path(root).is_dir():
            continue
        for path in walk_files(Path(root)):
            if not path.name.lower().endswith(COMPRESSED_SUFFIXES):
                continue
            st = path.stat()
            if st.st_size >= COMPRESSED_MIN_FILE and (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                yield path


def build_compressed(dest: Path, spec: Spec, out: Path) -> dict[str, object]:
    budget = int(spec.params["bytes"])  # type: ignore[call-overload]
    version = dest / "v1"
    total = 0
    copied = 0
    for path in compressed_candidates():
        size = path.stat().st_size
        if total + size > budget:
            if total >= budget * 0.9:
                break
            continue
        target = version / str(path).lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        total += size
        copied += 1
    if total < budget * 0.5:
        raise RuntimeError(f"only {total} bytes of compressed files found under {COMPRESSED_ROOTS}")
    return {"roots": list(COMPRESSED_ROOTS), "suffixes": list(COMPRESSED_SUFFIXES), "copied": copied}


# --- small: many small files ----------------------------------------------------------------


def text_pool(size: int, rng: random.Random) -> bytes:
    """Word salad from a fixed pseudo-random vocabulary: compresses about 3:1 with zstd."""
    letters = "etaoinshrdlucmfwypvbgkqjxz"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(2, 10))) for _ in range(4000)]
    separators = [" "] * 12 + [", ", ".\n", "\n", "(", ") ", " = ", "_"]
    parts: list[str] = []
    length = 0
    while length < size:
        words = rng.choices(vocabulary, k=4096)
        seps = rng.choices(separators, k=4096)
        piece = "".join(w + s for w, s in zip(words, seps))
        parts.append(piece)
        length += len(piece)
    return "".join(parts).encode()[:size]


def small_path(index: int, fanout: int) -> str:
    """Folder path of file number index: SMALL_DEPTH levels of `fanout` folders each."""
    leaf = index // SMALL_PER_FOLDER
    digits = []
    for _ in range(SMALL_DEPTH):
        leaf, digit = divmod(leaf, fanout)
        digits.append(f"d{digit:02d}")
    return "/".join(reversed(digits))


def build_small(dest: Path, spec: Spec, out: Path) -> dict[str, object]:
    count = int(spec.params["files"])  # type: ignore[call-overload]
    rng = random.Random(20261121)
    noise = blake3.blake3(b"snapstore bench small corpus").digest(length=SMALL_POOL)
    text = text_pool(SMALL_POOL, rng)
    leaves = -(-count // SMALL_PER_FOLDER)
    fanout = 2
    while fanout**SMALL_DEPTH < leaves:
        fanout += 1
    version = dest / "v1"
    made: set[str] = set()
    for i in range(count):
        folder = small_path(i, fanout)
        if folder not in made:
            (version / folder).mkdir(parents=True, exist_ok=True)
            made.add(folder)
        size = rng.randint(SMALL_MIN, SMALL_MAX)
        text_part = int(size * rng.random())
        t0 = rng.randrange(SMALL_POOL - text_part)
        n0 = rng.randrange(SMALL_POOL - (size - text_part))
        data = text[t0 : t0 + text_part] + noise[n0 : n0 + size - text_part]
        fd = os.open(version / folder / f"f{i:06d}.dat", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    return {"folders": len(made), "fanout": fanout, "depth": SMALL_DEPTH}


# --- driver ---------------------------------------------------------------------------------

BUILDERS: dict[str, Callable[[Path, Spec, Path], dict[str, object]]] = {
    "source": build_source, "db": build_db, "db-slow": build_db, "compressed": build_compressed,
    "small": build_small,
}


def spec_for(name: str, scale: float) -> Spec:
    if name == "source":
        params: dict[str, object] = {"project": SOURCE_PROJECT, "releases": list(SOURCE_VERSIONS)}
    elif name == "db":
        params = {"pgbench_scale": max(1, round(DB_SCALE * scale)),
                  "pgbench_seconds": max(2, round(DB_SECONDS * min(1.0, scale * 5)))}
    elif name == "db-slow":
        params = {"pgbench_scale": max(1, round(DB_SCALE * scale)),
                  "pgbench_seconds": max(2, round(DB_SECONDS * min(1.0, scale * 5))), "pgbench_rate": DB_SLOW_RATE}
    elif name == "compressed":
        params = {"bytes": int(COMPRESSED_BYTES * scale), "min_file": COMPRESSED_MIN_FILE}
    elif name == "small":
        params = {"files": max(SMALL_PER_FOLDER, int(SMALL_FILES * scale)),
                  "sizes": [SMALL_MIN, SMALL_MAX], "per_folder": SMALL_PER_FOLDER}
    else:
        raise ValueError(f"unknown corpus {name!r}")
    return Spec(name, scale, params)


def build(name: str, out: Path, scale: float) -> Path:
    """Build one corpus unless a matching, complete one is there; return its folder."""
    spec = spec_for(name, scale)
    corpus = out / name
    if manifest_ok(corpus, spec):
        print(f"{name}: up to date in {corpus}")
        return corpus
    tmp = out / f"{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    start = time.perf_counter()
    print(f"{name}: building {spec.params} at scale {scale} ...", flush=True)
    extra = BUILDERS[name](tmp, spec, out)
    write_manifest(tmp, spec, extra, time.perf_counter() - start)
    shutil.rmtree(corpus, ignore_errors=True)
    tmp.rename(corpus)
    stats = json.loads((corpus / MANIFEST).read_text())["versions"]
    summary = ", ".join(f"{v}: {s['files']} files {s['bytes'] / MiB:.1f} MiB" for v, s in stats.items())
    print(f"{name}: built in {time.perf_counter() - start:.1f} s: {summary}", flush=True)
    return corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="corpora folder (default %(default)s)")
    parser.add_argument("--only", default=",".join(CORPORA), help="comma-separated corpora to build")
    parser.add_argument("--scale", type=float, default=1.0, help="size factor, e.g. 0.05 for a quick run")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n]
    unknown = set(names) - set(CORPORA) - set(EXTRA_CORPORA)
    if unknown:
        parser.error(f"unknown corpora {sorted(unknown)}; known: {', '.join(CORPORA + EXTRA_CORPORA)}")
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in names:
        build(name, args.out.resolve(), args.scale)


if __name__ == "__main__":
    main()
