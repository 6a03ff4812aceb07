"""The data of the many-hosts tests: a base tree every host has, files only one host has, and
new files that two or all hosts add at the same moment. Every file is random and smaller than
the chunker's minimum, so each file is one blob and every expected size is exact."""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

KiB = 1024
HOSTS = ("h1", "h2", "h3", "h4")
# New data several hosts add at the same moment: file name -> the hosts that have it.
SHARED_NEW = {"pair-a.bin": ("h1", "h2"), "pair-b.bin": ("h3", "h4"), "all.bin": HOSTS}


@dataclass
class Corpus:
    base: Path  # backed up once before the hosts start
    sources: dict[str, Path] = field(default_factory=dict)  # host -> the folder it backs up
    base_bytes: int = 0
    own_bytes: dict[str, int] = field(default_factory=dict)  # host -> bytes only it has
    new_bytes: dict[str, int] = field(default_factory=dict)  # host -> bytes it shares, new
    shared_new_bytes: int = 0  # each shared new file counted once

    def host_bytes(self, host: str) -> int:
        return self.base_bytes + self.own_bytes[host] + self.new_bytes[host]

    def unique_bytes(self) -> int:
        """Plaintext of every distinct blob of the seed and the hosts' first backups."""
        return self.base_bytes + sum(self.own_bytes.values()) + self.shared_new_bytes

    def add_wave(self) -> dict[str, tuple[str, ...]]:
        """More new files that several hosts add at once (in `wave/` of each holder); returns
        file name -> the hosts that have it. Not counted in the sizes above."""
        wave = {"w-all.bin": HOSTS, "w-pair.bin": ("h3", "h4")}
        for name, holders in wave.items():
            data = os.urandom(70 * KiB)
            for host in holders:
                _write(self.sources[host] / "wave" / name, data)
        return wave


def _write(path: Path, data: bytes) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def _random_file(rng: random.Random, path: Path, low_kib: int, high_kib: int) -> int:
    return _write(path, rng.randbytes(rng.randint(low_kib, high_kib) * KiB + rng.randint(0, 999)))


def build_corpus(root: Path, seed: int) -> Corpus:
    rng = random.Random(seed)
    base = root / "base"
    corpus = Corpus(base)
    for relative in ("etc/app.conf", "etc/nginx/site.conf", "lib/a/one.so", "lib/a/two.so",
                     "lib/b/three.so", "share/doc/readme.txt", "top.bin"):  # fmt: skip
        corpus.base_bytes += _random_file(rng, base / relative, 20, 160)
    (base / "empty").touch()
    os.symlink("etc/app.conf", base / "link")
    os.chmod(base / "etc" / "app.conf", 0o640)
    shared = {name: rng.randbytes(rng.randint(60, 120) * KiB) for name in SHARED_NEW}
    corpus.shared_new_bytes = sum(len(data) for data in shared.values())
    for host in HOSTS:
        source = root / "hosts" / host
        shutil.copytree(base, source / "base", symlinks=True)  # times kept: same content
        corpus.own_bytes[host] = sum(
            _random_file(rng, source / "own" / f"{host}-{n}.bin", 30, 90) for n in range(2)
        )
        corpus.new_bytes[host] = sum(
            _write(source / "new" / name, data)
            for name, data in shared.items()
            if host in SHARED_NEW[name]
        )
        corpus.sources[host] = source
    return corpus
