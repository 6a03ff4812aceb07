"""The key -> line scan that lets schema errors name their line, over every TOML construct that
can move a key to another line: headers, arrays of tables, inline tables, multi-line values."""

from __future__ import annotations

import tomllib

from snapstore.profiles.key_lines import key_lines

DOCUMENT = '''\
# comment with = and [brackets]
top = "value # not a comment"

[a]
x = 1
"quoted.key" = 2
dotted.inner.leaf = true

[a.b]
text = """
[not.a.header]
fake = 1
"""
after_text = 'x'
literal = \'\'\'
still = "text"
\'\'\'
list = [
  1,   # comment
  "two",
  { k = 1, inner = { deep = 2 } },
]
after_list = 3

[[arr]]
v = 1
[[arr]]
v = 2
[arr.sub]
w = 3
[[arr.items]]
z = 4

[c]
inline = { p = 1, q = [1, 2], r = { s = "}" } }
'''


def test_the_document_is_valid_toml() -> None:
    tomllib.loads(DOCUMENT)


def test_keys_are_found_on_their_lines() -> None:
    lines = key_lines(DOCUMENT).lines
    expected = {
        ("top",): 2,
        ("a",): 4,
        ("a", "x"): 5,
        ("a", "quoted.key"): 6,
        ("a", "dotted"): 7,
        ("a", "dotted", "inner", "leaf"): 7,
        ("a", "b"): 9,
        ("a", "b", "text"): 10,
        ("a", "b", "after_text"): 14,
        ("a", "b", "literal"): 15,
        ("a", "b", "list"): 18,
        ("a", "b", "list", 1): 20,
        ("a", "b", "list", 2): 21,
        ("a", "b", "list", 2, "inner", "deep"): 21,
        ("a", "b", "after_list"): 23,
        ("arr", 0): 25,
        ("arr", 0, "v"): 26,
        ("arr", 1): 27,
        ("arr", 1, "v"): 28,
        ("arr", 1, "sub", "w"): 30,
        ("arr", 1, "items", 0, "z"): 32,
        ("c", "inline", "q"): 35,
        ("c", "inline", "r", "s"): 35,
    }
    assert {path: lines.get(path) for path in expected} == expected
    # Nothing inside a multi-line string is taken for a key or a header.
    assert ("not", "a", "header") not in lines and ("a", "b", "fake") not in lines
    assert ("a", "b", "still") not in lines


def test_a_missing_key_falls_back_to_the_nearest_known_parent() -> None:
    found = key_lines(DOCUMENT)
    assert found.line_of(("arr", 1, "sub", "missing")) == 29
    assert found.line_of(("nowhere",)) is None
