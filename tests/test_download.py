"""Audio download: a real HTTP server on 127.0.0.1 (with Range support) serving small fake TARs."""

import hashlib
import io
import re
import shutil
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import REPO, snakemake

from augeval.data.download import (
    STAMP_DIR,
    Archive,
    DownloadError,
    fetch_archive,
    read_checksums,
    unpack_archive,
)


def make_tar(folder: str, n_files: int = 3, size: int = 20_000, seed: int = 0) -> bytes:
    """An archive like the dataset's: one folder NN/ of NN/ID.mp3 files (random bytes here)."""
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(folder)
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
        for i in range(n_files):
            data = rng.bytes(size)
            info = tarfile.TarInfo(f"{folder}/{100 * (i + 1) + int(folder)}.mp3")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class Server:
    """Files served from memory; optionally cuts the first response of a file after N bytes."""

    def __init__(self, range_support: bool = True):
        self.files: dict[str, bytes] = {}
        self.cut: dict[str, int] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.bytes_sent = 0
        self.range_support = range_support
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                name = self.path.lstrip("/")
                rng = self.headers.get("Range")
                server.requests.append((name, rng))
                if name not in server.files:
                    self.send_error(404)
                    return
                data = server.files[name]
                start = 0
                match = re.fullmatch(r"bytes=(\d+)-", rng or "")
                if match and server.range_support:
                    start = int(match.group(1))
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if name in server.cut:  # the connection drops mid-transfer, once
                    body = body[: server.cut.pop(name)]
                    self.close_connection = True
                self.wfile.write(body)
                server.bytes_sent += len(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/audio"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def add(self, name: str, data: bytes) -> Archive:
        self.files[f"audio/{name}"] = data
        return Archive(name, hashlib.sha256(data).hexdigest())


@pytest.fixture
def server():
    srv = Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def leftovers(*roots: Path) -> list[str]:
    return sorted(str(p) for root in roots if root.exists() for p in root.rglob("*"))


def test_good_archive_is_verified_unpacked_and_then_skipped(tmp_path, server):
    archive = server.add("audio-07.tar", make_tar("07"))
    audio, archives = tmp_path / "audio", tmp_path / "archives"
    files = fetch_archive(archive, server.url, archives, audio, backoff_s=0)
    assert [str(f) for f in files] == ["07/107.mp3", "07/207.mp3", "07/307.mp3"]
    with tarfile.open(fileobj=io.BytesIO(server.files["audio/audio-07.tar"])) as tar:
        assert (audio / "07/207.mp3").read_bytes() == tar.extractfile("07/207.mp3").read()
    assert not list(archives.iterdir())  # keep_archive=False: the verified TAR is gone
    assert sorted(p.name for p in audio.iterdir()) == [STAMP_DIR, "07"]  # no staging left
    n = len(server.requests)
    assert fetch_archive(archive, server.url, archives, audio, backoff_s=0) == files
    assert len(server.requests) == n  # already unpacked and stamped: no new request


def test_bad_checksum_leaves_nothing_that_looks_complete(tmp_path, server):
    good = server.add("audio-01.tar", make_tar("01"))
    server.files["audio/audio-01.tar"] = make_tar("01", seed=1)  # the server's copy differs
    audio, archives = tmp_path / "audio", tmp_path / "archives"
    with pytest.raises(DownloadError, match=r"audio-01\.tar .*fails its checksum") as err:
        fetch_archive(good, server.url, archives, audio, backoff_s=0)
    assert good.sha256 in str(err.value) and "deleted" in str(err.value)
    assert leftovers(audio, archives) == []


def test_interrupted_download_resumes_with_a_range_request(tmp_path, server):
    data = make_tar("42", n_files=4)
    archive = server.add("audio-42.tar", data)
    server.cut["audio/audio-42.tar"] = 30_000
    files = fetch_archive(archive, server.url, tmp_path / "tars", tmp_path / "audio", backoff_s=0)
    assert len(files) == 4
    assert server.requests == [("audio/audio-42.tar", None), ("audio/audio-42.tar", "bytes=30000-")]
    assert server.bytes_sent == len(data)  # nothing was fetched twice


def test_partial_file_from_a_killed_run_is_resumed_by_the_next_run(tmp_path, server):
    data = make_tar("05", n_files=4)
    archive = server.add("audio-05.tar", data)
    server.cut["audio/audio-05.tar"] = 25_000
    audio, archives = tmp_path / "audio", tmp_path / "archives"
    with pytest.raises(DownloadError, match="re-run to resume"):
        fetch_archive(archive, server.url, archives, audio, retries=0, backoff_s=0)
    assert (archives / "audio-05.tar.part").stat().st_size == 25_000
    assert not (archives / "audio-05.tar").exists() and not (audio / "05").exists()
    fetch_archive(archive, server.url, archives, audio, retries=0, backoff_s=0)
    assert server.requests[-1] == ("audio/audio-05.tar", "bytes=25000-")
    assert len(list((audio / "05").iterdir())) == 4 and server.bytes_sent == len(data)


def test_server_without_range_support_restarts_the_file(tmp_path):
    srv = Server(range_support=False)
    srv.thread.start()
    try:
        data = make_tar("09")
        archive = srv.add("audio-09.tar", data)
        srv.cut["audio/audio-09.tar"] = 10_000
        fetch_archive(archive, srv.url, tmp_path / "t", tmp_path / "a", backoff_s=0)
        assert srv.bytes_sent == 10_000 + len(data)
        assert len(list((tmp_path / "a" / "09").iterdir())) == 3
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()


def test_missing_archive_names_the_url(tmp_path, server):
    with pytest.raises(DownloadError, match="HTTP 404.*|.*audio-99.tar.*404"):
        fetch_archive(Archive("audio-99.tar", "0" * 64), server.url, tmp_path, tmp_path / "a")


def test_unsafe_archive_is_refused_and_nothing_is_unpacked(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("../evil.mp3")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    (tmp_path / "evil.tar").write_bytes(buf.getvalue())
    with pytest.raises(DownloadError, match="unsafe"):
        unpack_archive(tmp_path / "evil.tar", tmp_path / "audio")
    assert leftovers(tmp_path / "audio") == [] and not (tmp_path / "evil.mp3").exists()


def test_unpacking_again_replaces_the_folder_whole(tmp_path):
    (tmp_path / "a.tar").write_bytes(make_tar("03", n_files=3))
    (tmp_path / "b.tar").write_bytes(make_tar("03", n_files=1, seed=5))
    unpack_archive(tmp_path / "a.tar", tmp_path / "audio")
    unpack_archive(tmp_path / "b.tar", tmp_path / "audio")
    assert leftovers(tmp_path / "audio") == [
        str(tmp_path / "audio/03"),
        str(tmp_path / "audio/03/103.mp3"),
    ]


def test_checksum_list_format(tmp_path):
    shipped = read_checksums(
        REPO / "resources/mtg-jamendo/download/autotagging_moodtheme_audio_sha256_tars.txt"
    )
    assert [a.name for a in shipped] == [
        f"autotagging_moodtheme_audio-{i:02d}.tar" for i in range(100)
    ]
    bad = tmp_path / "sums.txt"
    bad.write_text("nothex audio-00.tar\n")
    with pytest.raises(DownloadError, match="sums.txt:1"):
        read_checksums(bad)


@pytest.mark.workflow
def test_download_rule_fetches_every_listed_archive(tmp_path, server):
    """The real workflow: `snakemake download_audio` against the local server."""
    names = [f"autotagging_moodtheme_audio-{i:02d}.tar" for i in (0, 1)]
    archives = [server.add(n, make_tar(f"{i:02d}", seed=i)) for i, n in enumerate(names)]
    (tmp_path / "sums.txt").write_text("".join(f"{a.sha256} {a.name}\n" for a in archives))
    for part in ("config", "resources"):
        shutil.copytree(REPO / part, tmp_path / part)
    cfg = yaml.safe_load((REPO / "config/mtg_jamendo.yaml").read_text())
    cfg["data"]["audio_root"] = str(tmp_path / "audio")
    cfg["data"]["download"] = {"base_url": server.url, "checksums": "sums.txt", "retries": 0}
    (tmp_path / "dl.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(
        tmp_path, "download_audio", config="dl.yaml", cores=2, check=False, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for i, archive in enumerate(archives):
        receipt = pd.read_csv(tmp_path / f"results/download/{archive.stem}.tsv", sep="\t")
        assert set(receipt["sha256"]) == {archive.sha256} and len(receipt) == 3
        assert all((tmp_path / "audio" / p).is_file() for p in receipt["path"])
        assert (tmp_path / "audio" / f"{i:02d}").is_dir()
    assert not list((tmp_path / "results/download/archives").iterdir())


def test_fetch_file_renames_only_a_matching_download(tmp_path, server):
    from augeval.fetch import ChecksumMismatch, fetch_file, part_path

    data = make_tar("11")
    archive = server.add("audio-11.tar", data)
    url = server.url.rstrip("/") + "/audio-11.tar"
    target = tmp_path / "sub" / "a.tar"
    with pytest.raises(ChecksumMismatch, match=r"audio-11\.tar fails its checksum") as err:
        fetch_file(url, target, sha256="0" * 64, backoff_s=0)
    assert err.value.actual == hashlib.sha256(data).hexdigest() and str(target) in str(err.value)
    assert leftovers(tmp_path) == [str(tmp_path / "sub")]  # neither target nor .part
    assert fetch_file(url, target, sha256=archive.sha256, backoff_s=0) == archive.sha256
    assert target.read_bytes() == data and not part_path(target).exists()
    assert fetch_file(url, tmp_path / "b.tar", backoff_s=0) == archive.sha256  # no checksum given
