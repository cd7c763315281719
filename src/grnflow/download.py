"""Fetch a `{url, sha256[, member][, member_sha256]}` source into the download cache.

Every byte that ends up under the final name has been checked against its sha256: the
source is streamed into a `.part` file next to the destination, hashed on the way, and
renamed only once verified. An offline mirror folder is searched before any network
access; `file://` URLs, mirror files and HTTP(S)/FTP responses share one streaming path.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import logging
import os
import posixpath
import ssl
import stat
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

from grnflow.errors import InputError
from grnflow.io import atomic_path

log = logging.getLogger("grnflow.download")

CHUNK = 1 << 20
USER_AGENT = "grnflow-download/0.1 (+https://github.com/grnflow)"


class DownloadError(InputError):
    """A source could not be fetched or verified; the message names the URL and the fix."""


class _Transient(Exception):
    """A failure worth retrying (server error, dropped connection, truncated body)."""


def url_basename(url: str) -> str:
    """The file name a URL points to, percent-decoded (`a%20b.tsv` -> `a b.tsv`)."""
    path = urllib.parse.urlsplit(url).path.rstrip("/")
    return urllib.parse.unquote(posixpath.basename(path))


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(
    url: str,
    sha256: str,
    dest: str | Path,
    member: str | None = None,
    member_sha256: str | None = None,
    mirror: str | Path | None = None,
    retries: int = 4,
    timeout: float = 60,
    backoff: float = 1.0,
    keep_archive: bool = True,
) -> Path:
    """Place the verified file (or the archive's `member`) at `dest`; return `dest`.

    `retries` extra attempts are made for transient network errors, waiting
    `backoff * 2**k` seconds before retry k+1. Permanent errors (HTTP 4xx, checksum
    mismatch, missing member) raise `DownloadError` at once. With `member` and
    `keep_archive`, the verified archive stays next to `dest` for the archive's other members.
    """
    dest = Path(dest)
    sha256 = sha256.lower()
    if member is not None:
        _check_member_name(member, url)
    start = time.perf_counter()
    with atomic_path(dest) as out:
        if member and member_sha256 and mirror:
            found = _from_mirror(mirror, posixpath.basename(member), member_sha256, out)
            if found:
                log.info("%s: member %s taken from mirror file %s", url, member, found)
                log.info("wrote %s (%d bytes) in %.1f s", dest, out.stat().st_size, time.perf_counter() - start)
                return dest
        if member is None:
            _obtain(url, sha256, out, mirror, retries, timeout, backoff)
        else:
            kept = dest.parent / url_basename(url)
            if keep_archive and url_basename(url) and kept.name != dest.name:
                # Kept as `{cache}/{sha256}/{archive name}`: the next member reuses it.
                if kept.is_file() and sha256_file(kept) == sha256:
                    log.info("%s: reusing the verified archive %s", url, kept)
                else:
                    with atomic_path(kept) as archive:
                        _obtain(url, sha256, archive, mirror, retries, timeout, backoff)
                _extract_member(kept, member, out, url)
            else:
                with _temp_next_to(dest) as archive:
                    _obtain(url, sha256, archive, mirror, retries, timeout, backoff)
                    _extract_member(archive, member, out, url)
            actual = sha256_file(out)
            log.info("extracted member %s (%d bytes, sha256 %s)", member, out.stat().st_size, actual)
            if member_sha256 and actual != member_sha256.lower():
                raise DownloadError(
                    f"{url}: member {member} has sha256 {actual}, expected member_sha256 "
                    f"{member_sha256}; the archive matched its checksum, so `member_sha256` in "
                    "the config is probably wrong"
                )
    log.info("wrote %s (%d bytes) in %.1f s", dest, dest.stat().st_size, time.perf_counter() - start)
    return dest


def _obtain(url, sha256, out: Path, mirror, retries, timeout, backoff) -> None:
    """Fill `out` with the verified bytes of `url`: from the mirror if it has them, else fetched."""
    if mirror:
        found = _from_mirror(mirror, url_basename(url), sha256, out)
        if found:
            log.info("%s: taken from mirror file %s (no network access)", url, found)
            return
        log.info("%s: not in mirror %s", url, mirror)
    _download(url, sha256, out, retries, timeout, backoff)


# --- streaming ---------------------------------------------------------------------------


def _stream(src, out: Path) -> tuple[str, int]:
    """Copy the readable `src` into `out`, returning (sha256, bytes)."""
    digest = hashlib.sha256()
    n = 0
    with open(out, "wb") as fh:
        while True:
            chunk = src.read(CHUNK)
            if not chunk:
                break
            digest.update(chunk)
            fh.write(chunk)
            n += len(chunk)
    return digest.hexdigest(), n


@contextlib.contextmanager
def _temp_next_to(dest: Path):
    """A `.part` path in `dest`'s folder, removed afterwards whatever happens."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.archive.", suffix=".part", dir=dest.parent)
    os.close(fd)
    try:
        yield Path(tmp)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


# --- offline mirror ----------------------------------------------------------------------


def _from_mirror(mirror, name: str, sha256: str, out: Path) -> Path | None:
    """Stream the first mirror file `name` (or gzipped `name.gz`) whose content has `sha256`."""
    root = Path(mirror)
    if not root.is_dir():
        raise DownloadError(
            f"download.mirror {root} is not a folder; fix `download.mirror` or set it to null"
        )
    sha256 = sha256.lower()
    candidates = sorted(
        p for p in root.rglob("*") if p.name in (name, name + ".gz") and p.is_file()
    )
    for path in candidates:
        gunzip = path.name == name + ".gz" and path.name != name
        opener = gzip.open if gunzip else open
        try:
            with opener(path, "rb") as src:
                actual, n = _stream(src, out)
        except (OSError, EOFError) as exc:
            log.warning("mirror file %s ignored: cannot be read (%s)", path, exc)
            continue
        if actual == sha256:
            log.info("mirror file %s%s matches sha256 %s (%d bytes)",
                     path, " (gunzipped)" if gunzip else "", sha256, n)
            return path
        log.warning("mirror file %s%s ignored: sha256 %s, expected %s",
                    path, " (gunzipped)" if gunzip else "", actual, sha256)
    return None


# --- network -----------------------------------------------------------------------------

# Retrying cannot fix these (a wrong file:// path, a certificate the host does not trust).
PERMANENT_OS_ERRORS = (
    FileNotFoundError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
    ssl.SSLCertVerificationError,
)


def _download(url, sha256, out: Path, retries: int, timeout: float, backoff: float) -> None:
    attempts = retries + 1
    for attempt in range(1, attempts + 1):
        try:
            actual, n = _attempt(url, out, timeout)
        except _Transient as exc:
            if attempt == attempts:
                raise DownloadError(
                    f"{url}: gave up after {attempts} attempt(s); last error: {exc}. Check the "
                    "network (or put the file in `download.mirror`) and rerun; raise "
                    "`download.retries`/`download.timeout` for a flaky server"
                ) from None
            wait = backoff * 2 ** (attempt - 1)
            log.warning("%s: attempt %d/%d failed (%s); retrying in %.3g s",
                        url, attempt, attempts, exc, wait)
            time.sleep(wait)
            continue
        log.info("%s: received %d bytes in attempt %d/%d", url, n, attempt, attempts)
        if actual != sha256:
            raise DownloadError(
                f"{url}: checksum mismatch: expected sha256 {sha256}, got {actual} "
                f"({n} bytes). The file at this URL changed or the `sha256` in the config is "
                "wrong; check the source and update `sha256`"
            )
        return


def _attempt(url: str, out: Path, timeout: float) -> tuple[str, int]:
    """One download attempt; raises `_Transient` for retryable failures."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            actual, n = _stream(resp, out)
    except urllib.error.HTTPError as exc:
        if exc.code == 429 or exc.code >= 500:
            raise _Transient(f"HTTP {exc.code} {exc.reason}") from None
        raise DownloadError(
            f"{url}: HTTP {exc.code} {exc.reason}; the URL is wrong or the file needs a login. "
            "Fix the `url`, or download it by hand and give a local path (or `download.mirror`)"
        ) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, PERMANENT_OS_ERRORS) or not isinstance(reason, OSError):
            raise DownloadError(f"{url}: cannot be opened ({reason}); fix the `url`") from None
        raise _Transient(f"{type(reason).__name__}: {reason}") from None
    except (OSError, http.client.HTTPException) as exc:
        # Connection reset/dropped mid-body, timeouts while reading.
        raise _Transient(f"{type(exc).__name__}: {exc}") from None
    if length is not None and length.isdigit() and n < int(length):
        raise _Transient(f"truncated body: {n} of {length} bytes received")
    return actual, n


# --- archives ----------------------------------------------------------------------------


def _unsafe(name: str) -> bool:
    """Absolute paths and `..` components would point outside the archive."""
    return name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in name.replace(
        "\\", "/"
    ).split("/")


def _check_member_name(member: str, url: str) -> None:
    if _unsafe(member):
        raise DownloadError(
            f"{url}: refusing archive member {member!r}: absolute paths and `..` components "
            "are not allowed; name the member by its path inside the archive"
        )


def _pick(names: list[str], member: str, archive_label: str) -> str:
    """The archive entry called `member` (or the one entry ending in `/member`)."""
    clean = {n[2:] if n.startswith("./") else n: n for n in names}
    if member in clean:
        chosen = clean[member]
    else:
        matches = [n for c, n in clean.items() if c.endswith("/" + member)]
        if len(matches) != 1:
            listing = ", ".join(sorted(clean)[:8]) + (" ..." if len(clean) > 8 else "")
            what = "is not in" if not matches else f"is ambiguous ({len(matches)} entries) in"
            raise DownloadError(
                f"member {member!r} {what} {archive_label}; available members include: "
                f"{listing or '(none)'}; fix `member`"
            )
        chosen = matches[0]
    if _unsafe(chosen):
        raise DownloadError(
            f"{archive_label}: refusing member {chosen!r}: it points outside the archive "
            "(absolute path or `..`); the archive is unsafe"
        )
    return chosen


def _resolve_link(entry: str, target: str, label: str) -> str:
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(entry), target))
    if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
        raise DownloadError(
            f"{label}: refusing member {entry!r}: it is a link to {target!r}, outside the archive"
        )
    return resolved


def _extract_member(archive: Path, member: str, out: Path, url: str) -> None:
    label = f"archive {url}"
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            name = _pick([i.filename for i in zf.infolist() if not i.is_dir()], member, label)
            info = zf.getinfo(name)
            if stat.S_ISLNK(info.external_attr >> 16):
                target = zf.read(info).decode()
                try:
                    info = zf.getinfo(_resolve_link(name, target, label))
                except KeyError:
                    raise DownloadError(f"{label}: member {name!r} is a broken link to {target!r}") from None
            with zf.open(info) as src:
                _stream(src, out)
        return
    tar = _open_tar(archive)
    if tar is not None:
        with tar:
            members = {m.name: m for m in tar.getmembers() if not m.isdir()}
            name = _pick(list(members), member, label)
            entry = members[name]
            seen = set()
            while entry.issym() or entry.islnk():
                target = entry.linkname
                if entry.issym():
                    resolved = _resolve_link(entry.name, target, label)
                else:  # hard links name their target relative to the archive root
                    if _unsafe(target):
                        raise DownloadError(
                            f"{label}: refusing member {entry.name!r}: it is a link to "
                            f"{target!r}, outside the archive"
                        )
                    resolved = posixpath.normpath(target)
                if resolved in seen or resolved not in members:
                    raise DownloadError(f"{label}: member {entry.name!r} is a broken link to {target!r}")
                seen.add(resolved)
                entry = members[resolved]
            src = tar.extractfile(entry)
            if src is None:
                raise DownloadError(f"{label}: member {entry.name!r} is not a regular file")
            with src:
                _stream(src, out)
        return
    with open(archive, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        names = _gzip_names(archive, url)
        if member not in names:
            raise DownloadError(
                f"member {member!r} is not in {label}: a .gz file holds one file, "
                f"named {' or '.join(sorted(names))}; fix `member`"
            )
        try:
            with gzip.open(archive, "rb") as src:
                _stream(src, out)
        except (OSError, EOFError) as exc:
            raise DownloadError(f"{label}: corrupt gzip data ({exc})") from None
        return
    raise DownloadError(
        f"{label}: `member` {member!r} was given but the file is not a .zip, .tar(.gz) or .gz "
        "archive; remove `member` or fix the `url`"
    )


def _open_tar(archive: Path):
    try:
        return tarfile.open(archive, "r:*")
    except (tarfile.TarError, OSError, EOFError):
        return None


def _gzip_names(archive: Path, url: str) -> set[str]:
    """Names a plain .gz member may be called: the stored original name and the URL stem."""
    names = set()
    base = url_basename(url)
    if base.endswith(".gz"):
        names.add(base[:-3])
    with open(archive, "rb") as fh:
        header = fh.read(10)
        if len(header) == 10 and header[3] & 0x08:  # FNAME flag
            if header[3] & 0x04:  # FEXTRA precedes FNAME
                xlen = int.from_bytes(fh.read(2), "little")
                fh.read(xlen)
            raw = bytearray()
            while (b := fh.read(1)) not in (b"", b"\x00"):
                raw += b
            if raw:
                names.add(posixpath.basename(raw.decode("latin-1")))
    return names or {base}

