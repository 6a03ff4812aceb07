"""`snap key`: several passwords for one repository, removing keys, changing the password."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Snap

WRONG_PASSWORD = 12


def test_add_list_remove_keys(snap: Snap, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    snapshot_id = snap.backup(tmp_path / "src")["snapshot_id"]
    first_key = snap.json("key", "list")
    assert len(first_key) == 1 and first_key[0]["current"] is True

    second_password = tmp_path / "second"
    second_password.write_text("another password\n")
    added = snap.json("key", "add", "--new-password-file", second_password)["id"]
    assert len(added) == 64

    # The second password opens the same repository, and its key is the current one.
    with_second = ["--password-file", str(second_password)]
    ids = [s["id"] for s in snap.json("snapshots", *with_second)]
    assert ids == [snapshot_id]
    keys = snap.json("key", "list", *with_second)
    assert sorted(k["id"] for k in keys) == sorted([first_key[0]["id"], added])
    assert [k["id"] for k in keys if k["current"]] == [added]
    assert len(snap.ok("key", "list").out.splitlines()) == 2 + 2  # header, rule, two keys

    # Remove the first key with the second password: the first password no longer opens it.
    removed = snap.ok("key", "remove", first_key[0]["id"][:8], *with_second).out
    assert removed.strip() == f"removed key {first_key[0]['id'][:8]}"
    error = snap.fails("snapshots", code=WRONG_PASSWORD)
    assert error == "snap: error: wrong password or no key found"
    assert [k["id"] for k in snap.json("key", "list", *with_second)] == [added]

    # The last key is never removed.
    error = snap.fails("key", "remove", added, *with_second, code=1)
    assert "refusing to remove the last key" in error
    assert snap.json("key", "list", *with_second)[0]["id"] == added
    error = snap.fails("key", "remove", "ffffffffff", *with_second, code=1)
    assert error == "snap: error: key id ffffffffff matches 0 keys"


def test_passwd_changes_the_password(snap: Snap, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f").write_text("content\n")
    snapshot_id = snap.backup(tmp_path / "src")["snapshot_id"]
    old_key = snap.json("key", "list")[0]["id"]

    new_password = tmp_path / "new"
    new_password.write_text("the new one\n")
    out = snap.ok("key", "passwd", "--new-password-file", new_password).out
    assert out.startswith("password changed (new key ")

    error = snap.fails("snapshots", code=WRONG_PASSWORD)
    assert error == "snap: error: wrong password or no key found"
    with_new = ["--password-file", str(new_password)]
    assert [s["id"] for s in snap.json("snapshots", *with_new)] == [snapshot_id]
    keys = snap.json("key", "list", *with_new)
    assert len(keys) == 1 and keys[0]["id"] != old_key
    dumped = snap.ok("dump", "latest", str(tmp_path / "src" / "f"), *with_new).stdout
    assert dumped == b"content\n"
