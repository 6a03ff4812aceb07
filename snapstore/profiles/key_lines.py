"""Line numbers of the keys of a TOML document, so that a schema error (an unknown key, a wrong
type) can name the line to fix. tomllib gives positions only for syntax errors.

The scan runs on text tomllib has already accepted, so it only has to follow the structure:
table headers (`[a.b]`, `[[a.b]]` with a running index per array of tables), keys (bare,
quoted, dotted), and values, stepping over strings (one-line and multi-line), arrays and inline
tables (whose keys and array elements are recorded too). A path is a tuple of keys and array
indexes, as the parsed document is addressed: ("profiles", "web", "before", 0, "command").
"""

from __future__ import annotations

from dataclasses import dataclass, field

Path = tuple[str | int, ...]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass
class KeyLines:
    """path -> 1-based line where that key (or array element) is written."""

    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its longest prefix that has one (a key set implicitly by
        a dotted key or a header is found at the line that introduced it)."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.found = KeyLines()
        self.table_counts: dict[Path, int] = {}  # array-of-tables path -> elements so far

    # -- characters --------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else ""

    def advance(self, count: int = 1) -> None:
        for _ in range(count):
            if self.peek() == "\n":
                self.line += 1
            self.pos += 1

    def skip_blank(self, newlines: bool) -> None:
        """Spaces, and with `newlines` also line ends and comments (inside arrays)."""
        while self.pos < len(self.text):
            char = self.peek()
            if char in " \t\r" or (newlines and char == "\n"):
                self.advance()
            elif char == "#":
                while self.peek() not in ("\n", ""):
                    self.advance()
            else:
                return

    # -- document ----------------------------------------------------------------------------
    def scan(self) -> KeyLines:
        current: Path = ()
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return self.found
            if self.peek() == "[":
                current = self.header()
            else:
                self.key_value(current)

    def header(self) -> Path:
        line = self.line
        is_array = self.peek(1) == "["
        self.advance(2 if is_array else 1)
        keys = self.key()
        self.advance(2 if is_array else 1)
        # The last key of an array header names the array itself, not its latest element.
        path = (*self.resolve(keys[:-1]), keys[-1]) if is_array else self.resolve(keys)
        for end in range(1, len(path)):
            self.found.lines.setdefault(path[:end], line)
        if is_array:
            index = self.table_counts.get(path, 0)
            self.table_counts[path] = index + 1
            self.found.lines.setdefault(path, line)
            path = (*path, index)
        self.found.lines.setdefault(path, line)
        return path

    def resolve(self, keys: list[str]) -> Path:
        """A header's keys as a path: an array of tables on the way means its last element."""
        path: Path = ()
        for key in keys:
            path = (*path, key)
            if path in self.table_counts:
                path = (*path, self.table_counts[path] - 1)
        return path

    def key_value(self, table: Path) -> None:
        line = self.line
        keys = self.key()
        for end in range(1, len(keys) + 1):
            self.found.lines.setdefault((*table, *keys[:end]), line)
        self.skip_blank(newlines=False)
        self.advance()  # "="
        self.skip_blank(newlines=False)
        self.value((*table, *keys))

    # -- keys and values ---------------------------------------------------------------------
    def key(self) -> list[str]:
        parts = []
        while True:
            self.skip_blank(newlines=False)
            if self.peek() in ('"', "'"):
                parts.append(self.string())
            else:
                start = self.pos
                while self.peek() in _BARE and self.peek():
                    self.advance()
                parts.append(self.text[start : self.pos])
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return parts
            self.advance()

    def value(self, path: Path) -> None:
        char = self.peek()
        if char in ('"', "'"):
            self.string()
        elif char == "[":
            self.array(path)
        elif char == "{":
            self.inline_table(path)
        else:  # number, boolean, date: runs to a separator
            while self.peek() not in ("", "\n", ",", "]", "}", "#"):
                self.advance()

    def array(self, path: Path) -> None:
        self.advance()
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.peek() in ("]", ""):
                self.advance()
                return
            if self.peek() == ",":
                self.advance()
                continue
            self.found.lines.setdefault((*path, index), self.line)
            self.value((*path, index))
            index += 1

    def inline_table(self, path: Path) -> None:
        self.advance()
        while True:
            self.skip_blank(newlines=False)
            if self.peek() in ("}", ""):
                self.advance()
                return
            if self.peek() == ",":
                self.advance()
                continue
            self.key_value(path)

    def string(self) -> str:
        quote = self.peek()
        if self.text.startswith(quote * 3, self.pos):
            self.advance(3)
            end = self.text.find(quote * 3, self.pos)
            while self.text.startswith(quote * 4, end):  # up to two quotes may end the content
                end += 1
            content = self.text[self.pos : end]
            self.advance(end + 3 - self.pos)
            return content
        self.advance()
        start = self.pos
        while self.peek() not in (quote, ""):
            if quote == '"' and self.peek() == "\\":
                self.advance()
            self.advance()
        content = self.text[start : self.pos]
        self.advance()
        # Quoted keys are compared as written; escapes in keys are rare enough to leave raw.
        return content


def key_lines(text: str) -> KeyLines:
    """Map each key path of `text` (valid TOML) to its line."""
    return _Scanner(text).scan()
