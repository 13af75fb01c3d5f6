"""The results folder: written whole or not at all, and never anything but routesim's own.

A run writes every file into a hidden temporary sibling (``.<name>.partial-<pid>-*``), then
exchanges it with the target in one atomic ``renameat2(RENAME_EXCHANGE)`` (Linux), or, where
the OS has none, two renames with signals held off between them. Whatever moment a signal or
a crash strikes, the target is the complete old folder or the complete new one.

Only a folder holding routesim's ``manifest.json`` is ever replaced, never the current
directory or one of its parents, and never when it holds files routesim did not write. A
lock file beside the target (``.<name>.lock``) keeps two routesim processes from writing
(or a run and a ``plot`` from touching) the same folder at once; leftovers of a killed run
are removed by the next one.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

from sim import __version__
from sim.model.errors import Interrupted, RoutesimError, UsageError
from sim.output.background import Group, Pending, long_lived_frozen

MANIFEST = "manifest.json"
FIGURE_AND_REPORT = (".png", ".svg", ".pdf", ".html")
# A writer writes one file (or folder) at the path it is given. It may instead start the work
# in the background (sim.output.background) and return it: write_results waits for it before
# the figures are drawn, and cancels it if anything fails.
Writer = Callable[[Path], "Pending | Group | None"]
# Signals that end a run: held off while the folders are exchanged, so no moment exists at
# which neither the old nor the new results are in place.
_FATAL_SIGNALS = tuple(s for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP) if hasattr(signal, "SIGHUP"))
_RENAME_EXCHANGE = 2


class OutputError(RoutesimError):
    """The results folder cannot be written (read-only, full disk, name too long ...)."""


def check_out_dir(out: Path) -> None:
    """Refuse, before anything runs, an output folder routesim must not or cannot write.

    Messages name the folder, not the --out option: the Python API's write() meets them too.
    """
    resolved = out.resolve()
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise UsageError(f"results folder {out}: is the current folder or one of its parents; choose a folder for the results")
    _check_name(out)  # first: a name too long for the file system makes even exists() fail
    if out.exists() and not out.is_dir():
        raise UsageError(f"results folder {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        manifest = read_manifest(out)
        if manifest is None:
            raise UsageError(
                f"results folder {out}: folder exists, is not empty and holds no routesim {MANIFEST}; "
                "routesim only replaces results folders it wrote; choose another folder"
            )
        foreign = sorted(set(_listing(out)) - set(manifest["files"]) - {MANIFEST})
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise UsageError(
                f"results folder {out}: holds files routesim did not write ({shown}); move them away or choose another folder"
            )
        # Replacing it removes its files: a read-only folder in it would be left behind,
        # under a hidden name, after the run; its permissions may be the user's protection.
        folders = [out, *(p for p in sorted(out.rglob("*")) if p.is_dir() and not p.is_symlink())]
        locked = next((d for d in folders if not os.access(d, os.W_OK | os.X_OK)), None)
        if locked is not None:
            inner = "" if locked == out else f" ({locked.relative_to(out).as_posix()} in it)"
            raise UsageError(
                f"results folder {out}: is read-only{inner}, so its previous results cannot be replaced; "
                "make it writable (chmod -R u+w) or choose another folder"
            )
    # The folder's parent: the temporary sibling, the lock and the swap are written there,
    # also when the folder itself exists.
    parent = _existing_parent(resolved.parent)
    if not parent.is_dir():
        raise UsageError(f"results folder {out}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"results folder {out}: cannot write in {parent} (permission denied)")


def _check_name(out: Path) -> None:
    """Folder names the file system cannot hold, found before a long run, not after it:
    the folder's own (with room for its temporary sibling's) and every folder above it."""
    parent = _existing_parent(out.resolve().parent)
    try:
        limit = os.pathconf(parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    for part in out.resolve().parent.parts:
        if len(part.encode()) > limit:
            raise UsageError(
                f"results folder {str(out)[:80]}...: the folder name {part[:40]}... is too long for the file "
                f"system ({len(part.encode())} bytes; at most {limit})"
            )
    # The temporary sibling adds ".", ".partial-<pid>-" and 8 random characters.
    longest = len(f".{out.name}.partial-{os.getpid()}-xxxxxxxx".encode())
    if longest > limit:
        raise UsageError(
            f"results folder {str(out)[:80]}: folder name is too long for the file system "
            f"({len(out.name.encode())} bytes; at most {limit - (longest - len(out.name.encode()))})"
        )


def _existing_parent(path: Path) -> Path:
    """The nearest folder of ``path`` (itself included) that exists."""
    while path != path.parent:
        try:
            if path.exists():
                break
        except OSError:  # e.g. a name too long for the file system: it does not exist either
            pass
        path = path.parent
    return path


def _listing(folder: Path) -> list[str]:
    """Every file below ``folder`` as a relative POSIX path, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def read_manifest(folder: Path) -> dict | None:
    """The folder's manifest if routesim wrote it, else None."""
    path = folder / MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict) or doc.get("written_by") != "routesim" or not isinstance(doc.get("files"), dict):
        return None
    return doc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, kind: str, results_format: int) -> None:
    """manifest.json: who wrote the folder, its kind and format, and each file's size and
    SHA-256 (every file in it: the folder is routesim's own temporary one)."""
    files = {name: _entry(folder / name) for name in _listing(folder) if name != MANIFEST}
    _save_manifest(folder, kind, results_format, files)


def update_manifest(folder: Path, manifest: dict, written: list[str], removed: list[str]) -> None:
    """The manifest of a folder routesim has already written, after it replaced the files
    ``written`` and deleted ``removed`` (``plot``): every other entry is kept as it was, so a
    file the user has put in the folder meanwhile is not adopted as routesim's (the next run
    would replace the folder with it inside)."""
    files = {n: e for n, e in manifest["files"].items() if n not in removed}
    files.update({name: _entry(folder / name) for name in written})
    _save_manifest(folder, manifest.get("kind", "run"), manifest.get("results_format", 0), files)


def _entry(path: Path) -> dict:
    return {"bytes": path.stat().st_size, "sha256": _sha256(path)}


def _save_manifest(folder: Path, kind: str, results_format: int, files: dict) -> None:
    doc = {"written_by": "routesim", "routesim_version": __version__, "results_format": results_format,
           "kind": kind, "files": files}
    (folder / MANIFEST).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def changed_files(folder: Path, manifest: dict, under: str = "") -> tuple[list[str], list[str]]:
    """(missing, changed): data files of the manifest that are gone, or differ in size or
    SHA-256 from what routesim wrote; only those below the sub-folder ``under`` if given.
    Figures and report.html are not checked: ``plot`` draws them anew from the data files."""
    missing, changed = [], []
    prefix = f"{under}/" if under else ""
    for name, entry in sorted(manifest["files"].items()):
        if name.endswith(FIGURE_AND_REPORT) or not name.startswith(prefix):
            continue
        path = folder / name
        if not path.is_file():
            missing.append(name)
        elif not isinstance(entry, dict) or path.stat().st_size != entry.get("bytes") or _sha256(path) != entry.get("sha256"):
            changed.append(name)
    return missing, changed


_HELD: set[Path] = set()  # folders this process holds the lock of (a lock is not taken twice)


LOCK_WAIT_S = 10.0  # how long a write waits for another process to finish with the folder


@contextlib.contextmanager
def folder_lock(out: Path, what: str = "writing", wait: float = 0.0, retry: str = "") -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``out``; refuse, in one line, if another routesim holds it.

    ``wait`` is how many seconds to wait for the holder first (0: refuse at once). The
    message names the folder and what to do, never a command-line option the caller may not
    have used; ``retry`` adds the caller's own way out (the CLI's ", or write elsewhere
    with --out DIR"). The command line takes it before simulating, so a second run on the
    same folder is refused at once, not after its simulation; taking it again in the same
    process is a no-op.
    """
    out = out.resolve()
    if out in _HELD:
        yield
        return
    lock_path = out.parent / f".{out.name}.lock"
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:  # the parent does not exist yet: nothing to share it with
            yield
            return
        except OSError as exc:  # a read-only parent (the lock is the first file written there)
            raise OutputError(f"results folder {out}: cannot write in {out.parent} ({os_reason(exc)})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            raise UsageError(
                f"{out}: another routesim process is {what} this folder; wait for it to finish and try again{retry}"
            ) from None
        # The holder before us may have removed the file after we opened it: lock the live one.
        try:
            same = os.fstat(fd).st_ino == os.stat(lock_path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    _HELD.add(out)
    try:
        yield
    finally:
        _HELD.discard(out)
        with contextlib.suppress(OSError):
            os.unlink(lock_path)
        os.close(fd)


def remove_leftovers(out: Path) -> None:
    """Remove temporary folders that killed routesim processes left beside or inside ``out``."""
    out = out.resolve()
    candidates = list(out.parent.glob(f".{out.name}.partial-*")) + list(out.parent.glob(f".{out.name}.old-*"))
    if out.is_dir():
        candidates += list(out.glob(".plot-*"))
    for path in candidates:
        pid = _owner(path.name)
        if pid is not None and pid != os.getpid() and _alive(pid):
            continue
        shutil.rmtree(path, ignore_errors=True)


def _owner(name: str) -> int | None:
    """The pid in a temporary folder's name (``...-<pid>-xxxx``), if it has one."""
    for part in name.split("-"):
        if part.isdigit():
            return int(part)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_results(
    out: Path, writers: dict[str, Writer], finish: Writer | None = None, kind: str = "run", results_format: int = 0,
    early: Writer | None = None,
) -> Path:
    """Write each file into a temporary sibling, add the manifest, then swap it in for ``out``.

    ``finish`` runs on the temporary folder once every file is in it (figures are drawn
    from the files); ``early``, which must read no file written in the background, runs
    while those are still being written (report.html without figures, or loading what the
    figures will need), so that the main process does not sit idle waiting for them.
    On any failure or signal the temporary folder and any parent folders this call
    created are removed, and previous results in ``out`` stay as they were.
    """
    check_out_dir(out)
    target = out.resolve()
    created: list[Path] = []
    swapped = False
    try:
        created = _make_parents(target.parent)
        with folder_lock(target, wait=LOCK_WAIT_S):  # another run's writing: seconds; its simulating: refused
            remove_leftovers(target)
            check_out_dir(out)  # again under the lock: another run may have written it meanwhile
            tmp: Path | None = None
            pending = Group([])
            try:
                with _signals_held():  # no moment at which the folder exists but is not ours to remove
                    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-{os.getpid()}-", dir=target.parent))
                tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it private; results are ordinary files
                with long_lived_frozen():  # the replications and modules outlive the writing
                    for name, write in writers.items():
                        started = write(tmp / name)
                        if isinstance(started, (Pending, Group)):  # work left running in the background
                            pending.pending.append(started)
                    if early is not None:
                        early(tmp)
                    # Otherwise background files are done before the figures: drawing needs both cores.
                    try:
                        pending.wait()
                    except RuntimeError as exc:  # the child's own failure, e.g. a full disk
                        raise OutputError(f"results folder {out}: cannot write the results: {exc}") from None
                if finish is not None:
                    finish(tmp)
                write_manifest(tmp, kind, results_format)
                with _signals_held():  # a signal now is delivered once ``swapped`` says where we are
                    swap_in(tmp, target)
                    swapped = True
            except BaseException:
                pending.cancel()  # first, so nothing writes into the folder being removed
                raise
            finally:
                if tmp is not None:
                    shutil.rmtree(tmp, ignore_errors=True)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP turned into Interrupted by the CLI
        if not swapped:
            _remove_created(created)
        raise Interrupted(getattr(exc, "signum", signal.SIGINT), written=out if swapped else None) from None
    except OSError as exc:
        _remove_created(created)
        raise OutputError(f"results folder {out}: cannot write the results: {_os_message(exc)}") from None
    except BaseException:
        _remove_created(created)
        raise
    return out


def os_reason(exc: OSError) -> str:
    """Why the operating system refused, in lower case for the middle of a message ("permission denied")."""
    return os.strerror(exc.errno).lower() if exc.errno else str(exc)


def _os_message(exc: OSError) -> str:
    text = os.strerror(exc.errno) if exc.errno else str(exc)
    return f"{text} ({exc.filename})" if exc.filename else text


def _make_parents(folder: Path) -> list[Path]:
    """mkdir -p, returning the folders it created (outermost first)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    made = []
    for path in reversed(missing):
        try:
            path.mkdir()
            made.append(path)
        except FileExistsError:  # another run made it meanwhile: it is not ours to remove
            pass
    return made


def _remove_created(created: list[Path]) -> None:
    for path in reversed(created):
        with contextlib.suppress(OSError):
            path.rmdir()  # only if still empty


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold off SIGINT, SIGTERM and SIGHUP until the block ends, then act on the first one.

    Two layers, since a signal may reach any thread: the main thread blocks them, and their
    Python handlers only note them meanwhile (a note in another thread's delivery included).
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    previous = {s: signal.signal(s, lambda signum, frame: noted.append(signum)) for s in _FATAL_SIGNALS}
    try:
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _FATAL_SIGNALS)
    except (AttributeError, OSError):
        mask = None
    try:
        yield
    finally:
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # pending ones are noted now
        for s, handler in previous.items():
            signal.signal(s, handler)
    if noted:
        handler = previous.get(noted[0])
        if handler == signal.SIG_IGN:
            return
        if callable(handler):
            handler(noted[0], None)  # the handler that was in force: KeyboardInterrupt, Interrupted ...
        else:
            raise Interrupted(noted[0])


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2); False where the OS cannot."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):  # file system or kernel without it
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_in(tmp: Path, out: Path) -> None:
    """Put the complete folder ``tmp`` at ``out``; the old ``out`` ends up in ``tmp``'s place.

    Call it with signals held (``_signals_held``) where the OS has no atomic exchange.
    """
    if not out.exists():
        os.replace(tmp, out)
        return
    if _exchange(tmp, out):
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
    os.replace(out, old / out.name)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old / out.name, out)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)
