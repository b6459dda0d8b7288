"""Big generated downloads (the whole CSV export, the sitemap's sections), written once per data
version to a local folder and then served from it: any number of requests costs one generation per
change of the data, instead of one each.

The request that finds no file generates it, storing the chunks as it passes them on; a request that
arrives meanwhile is told to come back (`Busy`) rather than generating it again or holding a worker
while it waits. A lock file (flock) makes this hold across the workers of one server; each app server
keeps its own folder. Where there is no data version (a database it is not written for) nothing is
stored.
"""

import fcntl
import hashlib
import os
import tempfile
import time
from pathlib import Path

from django.conf import settings

from .dataversion import data_version


def _digest(text):
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


class Busy(Exception):
    """Another request is generating this download now."""


def cached_download(prefix, query, generate):
    """The download `generate()` makes for `query`, under the current data version: an open file when
    it is stored, else the chunks (bytes) of `generate()`, stored as they are read. `generate` is
    called only when this request is the one to make the file. Raises Busy while another request
    makes it."""
    version = data_version()
    if version is None:
        return generate()
    folder = Path(settings.DOWNLOAD_CACHE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    version_key = _digest(version)
    name = f"{prefix}-{version_key}-{_digest(query)}"
    path = folder / name
    if path.exists():
        return path.open("rb")
    lock = (folder / f"{name}.lock").open("a+b")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise Busy(name) from None
    if path.exists():
        # Stored by the request that held the lock just before this one.
        _unlock(lock)
        return path.open("rb")
    try:
        chunks = generate()
    except BaseException:
        _unlock(lock)
        raise
    return _store(chunks, path, lock, stale=f"{prefix}-", current=f"{prefix}-{version_key}-")


def _unlock(lock):
    # Removed rather than kept, so that asking for pages that do not exist leaves nothing behind.
    # A request that opened it just before may then make the same file at the same time: harmless.
    Path(lock.name).unlink(missing_ok=True)
    lock.close()


def _store(chunks, path, lock, *, stale, current):
    # Closed by hand below: it must outlive this statement, as long as the response streams.
    part = tempfile.NamedTemporaryFile(  # noqa: SIM115
        dir=path.parent, prefix=f"{path.name}.", suffix=".part", delete=False
    )
    stored = False
    try:
        for chunk in chunks:
            part.write(chunk)
            yield chunk
        part.close()
        os.replace(part.name, path)
        stored = True
        _remove_old_versions(path.parent, stale=stale, current=current)
    finally:
        if not stored:
            # The client went away or the database failed: nothing half-written is ever served.
            part.close()
            Path(part.name).unlink(missing_ok=True)
        _unlock(lock)


# A part older than this was left by a worker that died while making it.
ABANDONED_AFTER = 3600


def _remove_old_versions(folder, *, stale, current):
    for old in folder.glob(f"{stale}*"):
        if old.name.startswith(current) or old.name.endswith(".lock"):
            continue
        try:
            if old.name.endswith(".part") and time.time() - old.stat().st_mtime < ABANDONED_AFTER:
                continue
            # A request still reading an old file keeps its open copy (POSIX).
            old.unlink()
        except FileNotFoundError:
            pass


def first_chunks(chunks, count):
    """(the first `count` chunks, an iterator of all of them): reading the first ones runs the first
    queries now, so that a database error is answered before any of the body is sent."""
    iterator = iter(chunks)
    head = []
    for chunk in iterator:
        head.append(chunk)
        if len(head) == count:
            break
    return head, _chain(head, iterator)


def _chain(head, rest):
    yield from head
    yield from rest
