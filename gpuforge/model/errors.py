"""The one error type for a spec a user wrote wrong."""

from __future__ import annotations


class SpecError(Exception):
    """A spec file is malformed or inconsistent.

    Renders as `<file>[:<line>]: <field path>: <problem> (<hint>)`; the CLI
    prefixes `error: ` and exits 2.
    """

    def __init__(
        self,
        field: str,
        problem: str,
        hint: str | None = None,
        *,
        file: str | None = None,
        line: int | None = None,
    ):
        super().__init__(problem)
        self.field = field
        self.problem = problem
        self.hint = hint
        self.file = file
        self.line = line

    def located(self, file: str, line: int | None) -> SpecError:
        """The same error, naming the file (and line, when known) it came from."""
        if self.file:  # already located (e.g. an environment variable, not the spec)
            return self
        return SpecError(self.field, self.problem, self.hint, file=file, line=line or self.line)

    def __str__(self) -> str:
        where = self.file or "<spec>"
        if self.line:
            where += f":{self.line}"
        parts = [where]
        if self.field:
            parts.append(self.field)
        message = ": ".join(parts) + f": {self.problem}"
        return one_line(message + (f" ({self.hint})" if self.hint else ""))


def format_path(loc: tuple) -> str:
    """("a", "b", 0, "c") -> `a.b[0].c`: a field path as a `SpecError` shows it."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_path(field: str) -> tuple:
    """`a.b[0].c` -> ("a", "b", 0, "c")."""
    out: list = []
    for part in field.replace("]", "").replace("[", ".").split("."):
        if part:
            out.append(int(part) if part.isascii() and part.isdigit() else part)
    return tuple(out)


def one_line(text: str) -> str:
    """`text` with line breaks and other invisible characters escaped (`\\n`, `\\u202e`).

    A field path or a quoted value can carry whatever the spec held; the error
    must still be one line, and must show what an editor would hide.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else _escape(c) for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    if char in "\n\r\t":
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
