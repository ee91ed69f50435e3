"""Reading the files a user names, and checking the paths gpuforge writes, without blocking.

Every file gpuforge reads on a user's word (environment specs, job specs, stack files,
kubeconfigs, burn-in results) goes through `read_user_text`: it opens the path with
`O_NONBLOCK` (a FIFO with no writer opens at once instead of waiting), checks with
`fstat` on the open descriptor that it is a regular file (not a FIFO, a device such
as /dev/zero, a socket or a directory), and reads at most a size cap, so nothing a
user names can hang gpuforge or fill its memory. A symlink loop (`ELOOP`) and every
other `OSError` become one `SpecError` naming the file.

`check_output_path` does the same for a path gpuforge is about to write: an existing
path must be a regular file, and its folder must exist, so `--out FIFO` is refused,
never blocked on.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from gpuforge.model.errors import SpecError

MAX_INPUT_BYTES = 32 * 1024
"""Largest environment or job spec read (the shipped ones are under 2 KB; parsing 32 KiB
takes ~0.25 s). One cap for both kinds of spec."""
MAX_LARGE_BYTES = 1024 * 1024
"""Largest kubeconfig or stack file read: embedded CA certificates and Pulumi's encrypted
values make them larger than a spec."""

_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def _os_problem(exc: OSError, what: str = "file") -> tuple[str, str]:
    if exc.errno == errno.ENOENT:
        return f"no such {what}", "check the path"
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop", "point the link at a file"
    if exc.errno == errno.EISDIR:
        return "is a directory", "give a file"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied", "check the file's permissions"
    if exc.errno == errno.ENAMETOOLONG:
        return "the path is too long", "check the path"
    return f"cannot read: {exc.strerror or exc}", "check the file"


def read_user_bytes(
    path: str | Path, shown: str, *, limit: int = MAX_INPUT_BYTES, what: str = "file"
) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them, else a SpecError."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError) as exc:
        problem, hint = (
            _os_problem(exc, what) if isinstance(exc, OSError) else ("not a path", "check the path")
        )
        raise SpecError("", problem, hint, file=shown) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SpecError(
                "", f"is {_kind(info.st_mode)}, not a regular file", "give a file", file=shown
            )
        if info.st_size > limit:
            raise _too_large(shown, limit)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise SpecError("", *_os_problem(exc), file=shown) from None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > limit:
        raise _too_large(shown, limit)
    return raw


def _too_large(shown: str, limit: int) -> SpecError:
    return SpecError(
        "",
        f"the file is larger than {limit // 1024} KiB",
        "a spec is a few KB: is this the right file?"
        if limit == MAX_INPUT_BYTES
        else "is this the right file?",
        file=shown,
    )


def read_user_text(
    path: str | Path, shown: str, *, limit: int = MAX_INPUT_BYTES, what: str = "file"
) -> str:
    """`read_user_bytes` decoded as UTF-8 (a SpecError with the line of a bad byte)."""
    raw = read_user_bytes(path, shown, limit=limit, what=what)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            "",
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x})",
            "save the file as UTF-8",
            file=shown,
            line=raw.count(b"\n", 0, exc.start) + 1,
        ) from None


def user_file_exists(path: str | Path, shown: str) -> bool:
    """Whether `path` names something (a dangling link counts); a loop is a SpecError."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return os.path.lexists(path)
    except OSError as exc:
        raise SpecError("", *_os_problem(exc), file=shown) from None
    return True


def check_output_path(path: str | Path, shown: str) -> None:
    """Raise a SpecError unless `path` can be written as a regular file without blocking.

    An existing path must be a regular file (a FIFO, device, socket or directory is
    refused: opening a FIFO to write waits for a reader forever); a missing one needs
    an existing folder.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise SpecError(
                "", "is a dangling symbolic link", "remove it or give another path", file=shown
            ) from None
        folder = Path(path).parent
        if not folder.is_dir():
            raise SpecError(
                "", f"the folder {str(folder)!r} does not exist", "create it first", file=shown
            ) from None
        return
    except OSError as exc:
        raise SpecError("", *_os_problem(exc), file=shown) from None
    if not stat.S_ISREG(info.st_mode):
        raise SpecError(
            "",
            f"is {_kind(info.st_mode)}, not a regular file",
            "write to a file path",
            file=shown,
        )
