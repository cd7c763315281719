"""The download stage against a real HTTP server on 127.0.0.1 with scripted misbehaviour."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import logging
import tarfile
import threading
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from grnflow.download import DownloadError, fetch
from helpers import run_workflow

FAST = {"retries": 2, "backoff": 0.001, "timeout": 5}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ScriptedServer:
    """Serves `routes[path]`: a list of behaviours consumed one per request (the last repeats).

    Behaviours: ("ok", body), ("status", code), ("truncate", body) = announce len(body) but
    send half and close, ("drop",) = close without a response, ("sleep", seconds, body).
    """

    def __init__(self):
        self.routes: dict[str, list] = {}
        self.hits: Counter = Counter()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                try:
                    self._serve()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def _serve(self):
                server.hits[self.path] += 1
                plan = server.routes.get(self.path, [("status", 404)])
                step = plan.pop(0) if len(plan) > 1 else plan[0]
                kind = step[0]
                if kind == "drop":
                    self.close_connection = True
                    return
                if kind == "status":
                    self.send_error(step[1])
                    return
                if kind == "sleep":
                    time.sleep(step[1])
                    body = step[2]
                else:
                    body = step[1]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if kind == "truncate":
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                else:
                    self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def route(self, path: str, *plan) -> str:
        self.routes[path] = list(plan)
        return self.url(path)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = ScriptedServer()
    yield srv
    srv.close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


BODY = b"gene\ts1\ts2\ng1\t1\t2\ng2\t3\t4\n"


def test_success(server, tmp_path):
    url = server.route("/expr.tsv", ("ok", BODY))
    dest = tmp_path / "cache" / sha(BODY) / "expr.tsv"
    assert fetch(url, sha(BODY), dest, **FAST) == dest
    assert dest.read_bytes() == BODY
    assert server.hits["/expr.tsv"] == 1
    assert leftovers(dest.parent) == []


@pytest.mark.parametrize(
    "failure", [("status", 500), ("status", 503), ("status", 429), ("drop",), ("truncate", BODY)]
)
def test_transient_failure_is_retried(server, tmp_path, failure):
    url = server.route("/expr.tsv", failure, ("ok", BODY))
    dest = tmp_path / "expr.tsv"
    fetch(url, sha(BODY), dest, **FAST)
    assert dest.read_bytes() == BODY
    assert server.hits["/expr.tsv"] == 2


def test_timeout_is_retried(server, tmp_path):
    url = server.route("/expr.tsv", ("sleep", 1.0, BODY), ("ok", BODY))
    dest = tmp_path / "expr.tsv"
    fetch(url, sha(BODY), dest, retries=1, backoff=0.001, timeout=0.2)
    assert dest.read_bytes() == BODY
    assert server.hits["/expr.tsv"] == 2


@pytest.mark.parametrize("failure", [("truncate", BODY), ("drop",), ("status", 502)])
def test_persistent_transient_failure_gives_up(server, tmp_path, failure):
    url = server.route("/expr.tsv", failure)
    dest = tmp_path / "expr.tsv"
    with pytest.raises(DownloadError, match=r"gave up after 3 attempt\(s\)") as err:
        fetch(url, sha(BODY), dest, **FAST)
    assert url in str(err.value)
    assert server.hits["/expr.tsv"] == 3
    assert not dest.exists() and leftovers(tmp_path) == []


def test_truncation_is_named(server, tmp_path):
    url = server.route("/expr.tsv", ("truncate", BODY))
    with pytest.raises(DownloadError, match=rf"truncated body: {len(BODY) // 2} of {len(BODY)} bytes"):
        fetch(url, sha(BODY), tmp_path / "expr.tsv", retries=0, backoff=0.001)


@pytest.mark.parametrize("code", [404, 403])
def test_client_error_fails_at_once(server, tmp_path, code):
    url = server.route("/missing.tsv", ("status", code))
    with pytest.raises(DownloadError, match=rf"HTTP {code}") as err:
        fetch(url, sha(BODY), tmp_path / "missing.tsv", **FAST)
    assert url in str(err.value)
    assert server.hits["/missing.tsv"] == 1


def test_checksum_mismatch(server, tmp_path):
    url = server.route("/expr.tsv", ("ok", BODY))
    wrong = "0" * 64
    dest = tmp_path / "cache" / wrong / "expr.tsv"
    with pytest.raises(DownloadError, match="checksum mismatch") as err:
        fetch(url, wrong, dest, **FAST)
    message = str(err.value)
    assert url in message and wrong in message and sha(BODY) in message
    assert server.hits["/expr.tsv"] == 1  # not retried
    assert not dest.exists() and leftovers(dest.parent) == []


# --- archives ----------------------------------------------------------------------------

MEMBER = b"regulator\ttarget\nA\tB\n"


def make_zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return buf.getvalue()


def make_tar_gz(entries: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tf.addfile(info)
    return buf.getvalue()


def make_gz(data: bytes, name: str) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename=name, fileobj=buf, mode="wb", mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


@pytest.mark.parametrize(
    "archive_name, payload, member",
    [
        ("net.tsv.gz", make_gz(MEMBER, "net.tsv"), "net.tsv"),
        ("bundle.zip", make_zip({"README": b"x", "data/net.tsv": MEMBER}), "data/net.tsv"),
        ("bundle.tar.gz", make_tar_gz({"README": b"x", "data/net.tsv": MEMBER}), "data/net.tsv"),
        ("bundle.tgz", make_tar_gz({"pkg-1/data/net.tsv": MEMBER}), "data/net.tsv"),
    ],
)
def test_member_extracted(server, tmp_path, archive_name, payload, member):
    url = server.route("/" + archive_name, ("ok", payload))
    dest = tmp_path / sha(payload) / "net.tsv"
    fetch(url, sha(payload), dest, member=member, member_sha256=sha(MEMBER), **FAST)
    assert dest.read_bytes() == MEMBER
    assert leftovers(dest.parent) == []


def test_archive_kept_for_the_next_member(server, tmp_path):
    payload = make_zip({"a.tsv": MEMBER, "b.tsv": b"other"})
    url = server.route("/bundle.zip", ("ok", payload), ("status", 500))
    folder = tmp_path / sha(payload)
    fetch(url, sha(payload), folder / "a.tsv", member="a.tsv", **FAST)
    fetch(url, sha(payload), folder / "b.tsv", member="b.tsv", **FAST)
    assert (folder / "b.tsv").read_bytes() == b"other"
    assert (folder / "bundle.zip").read_bytes() == payload
    assert server.hits["/bundle.zip"] == 1
    # A corrupted kept archive is not trusted: it is fetched again (here: the server fails).
    (folder / "bundle.zip").write_bytes(b"junk")
    with pytest.raises(DownloadError, match="gave up"):
        fetch(url, sha(payload), folder / "c.tsv", member="a.tsv", **FAST)


def test_member_checksum_mismatch(server, tmp_path):
    payload = make_zip({"net.tsv": MEMBER})
    url = server.route("/bundle.zip", ("ok", payload))
    dest = tmp_path / "net.tsv"
    with pytest.raises(DownloadError, match="member net.tsv has sha256") as err:
        fetch(url, sha(payload), dest, member="net.tsv", member_sha256="1" * 64, **FAST)
    assert sha(MEMBER) in str(err.value) and "1" * 64 in str(err.value)
    assert not dest.exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
@pytest.mark.parametrize("bad", ["../x", "/abs/x"])
def test_unsafe_member_refused(server, tmp_path, kind, bad):
    payload = (make_zip if kind == "zip" else make_tar_gz)({bad: MEMBER, "ok.tsv": b"y"})
    url = server.route("/bundle." + kind, ("ok", payload))
    # Asking for the entry by its full name is refused before anything is fetched ...
    with pytest.raises(DownloadError, match="refusing archive member"):
        fetch(url, sha(payload), tmp_path / "x", member=bad, **FAST)
    assert server.hits["/bundle." + kind] == 0
    # ... and asking for `x`, which only the unsafe entry provides, is refused after reading.
    with pytest.raises(DownloadError, match="outside the archive"):
        fetch(url, sha(payload), tmp_path / "x", member="x", **FAST)
    assert not (tmp_path / "x").exists()


def test_escaping_link_refused(server, tmp_path):
    payload = make_tar_gz({"data/real.tsv": MEMBER}, links={"data/net.tsv": "../../etc/passwd",
                                                             "data/ok.tsv": "real.tsv"})
    url = server.route("/bundle.tar.gz", ("ok", payload))
    with pytest.raises(DownloadError, match="link to '../../etc/passwd', outside the archive"):
        fetch(url, sha(payload), tmp_path / "net.tsv", member="data/net.tsv", **FAST)
    fetch(url, sha(payload), tmp_path / "ok.tsv", member="data/ok.tsv", **FAST)
    assert (tmp_path / "ok.tsv").read_bytes() == MEMBER


@pytest.mark.parametrize("kind", ["zip", "tar.gz", "gz"])
def test_member_missing(server, tmp_path, kind):
    if kind == "gz":
        payload = make_gz(MEMBER, "net.tsv")
    else:
        payload = (make_zip if kind == "zip" else make_tar_gz)({"a.tsv": b"1", "b.tsv": b"2"})
    url = server.route("/bundle." + kind, ("ok", payload))
    with pytest.raises(DownloadError, match="'nope.tsv' is not in archive") as err:
        fetch(url, sha(payload), tmp_path / "nope.tsv", member="nope.tsv", **FAST)
    assert ("net.tsv" if kind == "gz" else "a.tsv, b.tsv") in str(err.value)
    assert not (tmp_path / "nope.tsv").exists()


# --- offline mirror and file:// ----------------------------------------------------------


def test_mirror_hit_without_network(server, tmp_path):
    url = server.route("/log_tpm.csv", ("status", 500))
    mirror = tmp_path / "mirror" / "ecoli" / "nested"
    mirror.mkdir(parents=True)
    (mirror / "log_tpm.csv.gz").write_bytes(make_gz(BODY, "log_tpm.csv"))
    dest = tmp_path / "cache" / "log_tpm.csv"
    fetch(url, sha(BODY), dest, mirror=tmp_path / "mirror", **FAST)
    assert dest.read_bytes() == BODY
    assert server.hits["/log_tpm.csv"] == 0


def test_mirror_plain_and_member_hit(server, tmp_path):
    payload = make_zip({"data/net.tsv": MEMBER})
    url = server.route("/bundle.zip", ("status", 500))
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "bundle.zip").write_bytes(payload)
    fetch(url, sha(payload), tmp_path / "a" / "net.tsv", member="data/net.tsv", mirror=mirror, **FAST)
    assert (tmp_path / "a" / "net.tsv").read_bytes() == MEMBER
    # Only the member (as in the shared data folder) is enough when member_sha256 is given.
    (mirror / "bundle.zip").unlink()
    (mirror / "net.tsv").write_bytes(MEMBER)
    fetch(url, sha(payload), tmp_path / "b" / "net.tsv", member="data/net.tsv",
          member_sha256=sha(MEMBER), mirror=mirror, **FAST)
    assert (tmp_path / "b" / "net.tsv").read_bytes() == MEMBER
    assert server.hits["/bundle.zip"] == 0


def test_mirror_with_wrong_checksum_ignored(server, tmp_path, caplog):
    url = server.route("/expr.tsv", ("ok", BODY))
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "expr.tsv").write_bytes(b"stale copy\n")
    dest = tmp_path / "cache" / "expr.tsv"
    with caplog.at_level(logging.INFO, logger="grnflow.download"):
        fetch(url, sha(BODY), dest, mirror=mirror, **FAST)
    assert dest.read_bytes() == BODY
    assert server.hits["/expr.tsv"] == 1
    assert f"mirror file {mirror / 'expr.tsv'} ignored: sha256 {sha(b'stale copy' + bytes([10]))}" in caplog.text


def test_file_url(tmp_path):
    src = tmp_path / "in dir" / "expr.tsv"
    src.parent.mkdir()
    src.write_bytes(BODY)
    dest = tmp_path / "cache" / "expr.tsv"
    fetch(src.as_uri(), sha(BODY), dest, **FAST)
    assert dest.read_bytes() == BODY
    with pytest.raises(DownloadError, match="cannot be opened"):
        fetch((tmp_path / "absent.tsv").as_uri(), sha(BODY), tmp_path / "c2" / "absent.tsv", **FAST)


@pytest.mark.shared_data
def test_real_mirror_gzipped_official_file(shared_data, server, tmp_path):
    """The shared data folder holds PRECISE's official log_tpm.csv gzipped: a mirror hit."""
    official_sha = "278c4e87539fcb85dc480c7899bee2fb00f840cab72c11a86b8c164e59dc2170"
    url = server.route("/pymodulon/data/ecoli/log_tpm.csv", ("status", 500))
    dest = tmp_path / official_sha / "log_tpm.csv"
    fetch(url, official_sha, dest, mirror=shared_data, **FAST)
    assert server.hits["/pymodulon/data/ecoli/log_tpm.csv"] == 0
    assert dest.stat().st_size == 18_276_247


# --- the real rule -----------------------------------------------------------------------


@pytest.mark.slow
def test_download_rule(server, tmp_path):
    url = server.route("/expr.tsv", ("status", 503), ("ok", BODY))
    network = tmp_path / "network.tsv"
    network.write_text("regulator\ttarget\ng1\tg2\n")
    config = {
        "datasets": {
            "remote": {"inputs": {"expression": {"url": url, "sha256": sha(BODY)},
                                  "network": str(network)}}
        },
        "methods": ["random"],
        "download": {"retries": 2},
    }
    target = f"resources/downloads/{sha(BODY)}/expr.tsv"
    run_workflow(tmp_path / "run", config, targets=[target], cores=1)
    assert (tmp_path / "run" / target).read_bytes() == BODY
    log = (tmp_path / "run" / "logs" / "download" / sha(BODY) / "expr.tsv.log").read_text()
    assert "attempt 1/3 failed (HTTP 503" in log and "received" in log
    assert server.hits["/expr.tsv"] == 2
