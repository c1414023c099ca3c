"""`seedsearch serve` against hostile clients: idle and trickling connections,
odd digits, foreign Host headers, a dead watcher, a startup sync that fails.

Each test runs a real `seedsearch serve` (or a real waitress server in this
process) on a copy of the web corpus's index (conftest.web_corpus: "harbour"
matches 25 articles).
"""

from __future__ import annotations

import gzip
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from markupsafe import escape

from indexer import Config, sync
from indexer.store import write_lock
from indexer.watch import WatcherHealth
from searchweb import create_app
from searchweb import server as guarded
from searchweb.cli import allowed_hosts

from .conftest import ROOT, free_port, indexed_jsonl, poll, wait_until_up

ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class Served:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def errors(self) -> str:
        return self.log.read_text()


@contextmanager
def serving(config: Config, folder: Path, *options: str, env: dict[str, str] | None = None,
            copy_index: bool = True, copy_corpus: bool = True) -> Iterator[Served]:
    """A real `seedsearch serve` on a copy of `config`'s corpus and index; its stderr
    goes to a file (a pipe nobody reads could fill and stall it)."""
    corpus = folder / (config.corpus.name if config.corpus.is_file() else "corpus")
    index = folder / "index"
    if copy_corpus and config.corpus.is_file():
        shutil.copy2(config.corpus, corpus)
    elif copy_corpus:
        shutil.copytree(config.corpus, corpus)
    if copy_index:
        shutil.copytree(config.index, index)
    port, log = free_port(), folder / "stderr.txt"
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "indexer", "serve", "--corpus", str(corpus), "--index",
             str(index), "--port", str(port), *options],
            stdout=subprocess.DEVNULL, stderr=log_file,
            text=True, cwd=ROOT, env={**os.environ, **(env or {})})
    served = Served(process, port, log)
    try:
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def server(web_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(web_config, tmp_path_factory.mktemp("limits")) as served:
        wait_until_up(f"{served.base}/healthz", served.process)
        yield served


def get(url: str, host: str | None = None) -> tuple[int, bytes, dict[str, str]]:
    """Status, body and headers; an HTTP error status is an answer like any other."""
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(), dict(error.headers)


def closed(sock: socket.socket) -> bool:
    """Whether the server has closed `sock` (an end of file or a reset is waiting)."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except ConnectionResetError:
        return True


# ---------------------------------------------------------------- connections


def test_150_idle_connections_do_not_lock_a_new_client_out(server: Served) -> None:
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(150)]
    try:
        status, body, _ = get(f"{server.base}/api/search?q=harbour")
        assert status == 200 and json.loads(body)["total"] == 25
        # Answered while all 150 were still held open: none had to be dropped first.
        assert not [sock for sock in idle if closed(sock)]
    finally:
        for sock in idle:
            sock.close()
    assert "connection limit" not in server.errors()


def trickle(port: int, head: bytes, total: int) -> tuple[int, bytes]:
    """Send `head` at once, then one more byte a second, up to `total` bytes of the
    request; return how many of those trickled bytes were sent before the server
    closed the connection, and what it answered."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head)
        for sent in range(total - len(head)):
            readable, _, _ = select.select([sock], [], [], 1.0)  # the pause between bytes
            if readable:
                try:
                    return sent, sock.recv(65536)
                except ConnectionResetError:
                    return sent, b""
            try:
                sock.sendall(b"a")
            except (BrokenPipeError, ConnectionResetError):
                return sent, b""
    return total - len(head), b"(the request was completed)"


TRICKLES = {
    "headers": b"GET /api/search?q=harbour HTTP/1.1\r\nHost: localhost\r\nX-Slow: ",
    "body": b"GET /api/search?q=harbour HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Length: 400\r\n\r\n",
}


@pytest.mark.parametrize("part", list(TRICKLES))
def test_a_request_trickled_a_byte_a_second_is_cut_off_at_the_deadline(server: Served,
                                                                       part: str) -> None:
    head = TRICKLES[part]
    sent, answer = trickle(server.port, head, total=len(head) + 400)
    assert answer == b""  # closed, unanswered: the request never completed
    # A byte a second: about REQUEST_DEADLINE bytes got through, far fewer than 400.
    assert 1 <= sent <= 2 * guarded.REQUEST_DEADLINE + 5, sent
    assert get(f"{server.base}/healthz")[0] == 200


def test_silent_and_idle_kept_alive_connections_are_closed(server: Served) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as silent, \
            socket.create_connection(("127.0.0.1", server.port)) as kept:
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = b""
        while b'"status"' not in answer:
            answer += kept.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200")
        for sock in (silent, kept):  # waits for the server; asserts only the outcome
            sock.settimeout(60)
            assert sock.recv(65536) == b""


# ---------------------------------------------------------------- parameters

ODD_NUMBERS = {"superscript": "²", "circled": "①", "Arabic-Indic": "١", "full-width": "１",
               "plus sign": "+1", "leading space": " 1", "decimal": "1.0", "hexadecimal": "0x1",
               "exponent": "1e3", "10,000 digits": "1" * 10_000}
ODD_MONTHS = {"superscript": "2013-0²", "circled": "2013-0①", "Arabic-Indic": "٢٠١٣-05",
              "full-width": "２０１３-05", "plus sign": "+2013-05", "leading space": " 2013-05",
              "one digit": "2013-5", "a day": "2013-05-01", "10,000 digits": "1" * 10_000}


def error_message(server: Served, path: str) -> str:
    status, body, _ = get(server.base + path)
    assert status == 400, (path[:80], status)
    return json.loads(body)["error"]["message"]


@pytest.mark.parametrize("kind", list(ODD_NUMBERS))
@pytest.mark.parametrize("name", ["page", "per_page", "year"])
def test_numbers_in_anything_but_ascii_digits_are_400s_naming_the_parameter(
        server: Served, name: str, kind: str) -> None:
    value = urllib.parse.quote(ODD_NUMBERS[kind])
    assert error_message(server, f"/api/search?q=harbour&{name}={value}").startswith(f"{name} ")
    if name != "per_page":  # the HTML page has no per_page
        status, body, _ = get(f"{server.base}/search?q=harbour&{name}={value}")
        assert status == 400 and f"{name} must be" in body.decode()


@pytest.mark.parametrize("kind", list(ODD_MONTHS))
def test_months_in_anything_but_ascii_digits_are_400s(server: Served, kind: str) -> None:
    value = urllib.parse.quote(ODD_MONTHS[kind])
    assert error_message(server, f"/api/search?q=harbour&month={value}").startswith("month ")


@pytest.mark.parametrize("kind", ["superscript", "Arabic-Indic", "10,000 digits"])
def test_an_article_page_refuses_odd_page_numbers_too(server: Served, kind: str) -> None:
    value = urllib.parse.quote(ODD_NUMBERS[kind])
    status, body, _ = get(f"{server.base}/doc/ports/03.txt?q=harbour&page={value}")
    assert status == 400 and "page must be" in body.decode()


def test_ascii_numbers_still_work(server: Served) -> None:
    status, body, _ = get(f"{server.base}/api/search?q=harbour&page=2&per_page=7&year=2003"
                          "&month=2003-04")
    assert status == 200
    assert (json.loads(body)["page"], json.loads(body)["per_page"]) == (2, 7)


# ---------------------------------------------------------------- the Host header


@pytest.mark.parametrize("path", ["/api/search?q=harbour", "/", "/healthz"])
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "localhost.evil.example",
                                  "127.0.0.1.nip.io", "<script>"])
def test_an_unknown_host_is_refused_naming_it(server: Served, path: str, host: str) -> None:
    status, body, _ = get(server.base + path, host=host)
    assert status == 400
    if path == "/":  # a page: the host named, escaped
        text = body.decode()
        assert str(escape(repr(host))) in text and ("<" not in host or host not in text)
    else:
        text = json.loads(body)["error"]["message"]
        assert repr(host) in text
    assert "Unknown host" in text and "--host NAME" in text


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST:8000",
                                  "127.0.0.1:{port}", "[::1]:{port}"])
@pytest.mark.parametrize("path", ["/api/search?q=harbour", "/"])
def test_loopback_hosts_are_answered(server: Served, path: str, host: str) -> None:
    assert get(server.base + path, host=host.format(port=server.port))[0] == 200


def test_allowed_hosts_follow_the_address_served_and_the_options() -> None:
    assert allowed_hosts("127.0.0.1", (), "http://127.0.0.1:8000") == [
        "127.0.0.1", "::1", "localhost"]
    named = allowed_hosts("192.0.2.7", ("Proxy.Example",), "https://search.example.org")
    assert {"192.0.2.7", "proxy.example", "search.example.org"} <= set(named)
    wildcard = allowed_hosts("0.0.0.0", (), "http://127.0.0.1:8000")
    assert socket.gethostname().lower() in wildcard and "ip" in wildcard


PUBLIC = "https://search.example.org"


@pytest.fixture(scope="module")
def public_server(web_config: Config,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Any Host allowed (the environment variable's `*`) and a public URL configured."""
    with serving(web_config, tmp_path_factory.mktemp("public"), "--public-url", PUBLIC,
                 env={"SEEDSEARCH_ALLOWED_HOSTS": "*"}) as served:
        wait_until_up(f"{served.base}/healthz", served.process)
        yield served


def test_opensearch_urls_are_on_the_public_address_whatever_the_host(
        public_server: Served) -> None:
    status, body, _ = get(f"{public_server.base}/opensearch.xml", host="evil.example")
    assert status == 200 and b"evil" not in body
    templates = [url.get("template") for url in ElementTree.fromstring(body).iter(
        "{http://a9.com/-/spec/opensearch/1.1/}Url")]
    assert f"{PUBLIC}/search?q={{searchTerms}}" in templates
    assert all(str(template).startswith(PUBLIC + "/") for template in templates)


def test_feed_ids_and_links_are_on_the_public_address_whatever_the_host(
        public_server: Served) -> None:
    status, body, _ = get(f"{public_server.base}/feed?q=harbour&section=Ports",
                          host="evil.example")
    assert status == 200 and b"evil" not in body
    feed = ElementTree.fromstring(body)
    assert feed.findtext(f"{ATOM}id") == f"{PUBLIC}/feed?q=harbour&section=Ports"
    links = [link.get("href") for link in feed.iter(f"{ATOM}link")]
    ids = [entry.findtext(f"{ATOM}id") for entry in feed.iter(f"{ATOM}entry")]
    assert len(ids) == 12 and all(str(url).startswith(PUBLIC + "/") for url in links + ids)


def test_redirects_name_no_host(public_server: Served) -> None:
    request = "GET /doc//ports/03.txt HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", public_server.port), timeout=30) as sock:
        sock.sendall(request.encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n")[0].decode()
    assert head.split()[1].startswith("30"), head
    assert "\r\nLocation: /doc/ports/03.txt" in head and "evil" not in head


def test_the_default_public_address_is_the_one_served(server: Served) -> None:
    _, body, _ = get(f"{server.base}/opensearch.xml", host="localhost")
    assert f"http://127.0.0.1:{server.port}/search?q={{searchTerms}}".encode() in body


# ---------------------------------------------------------------- fairness


@contextmanager
def guarded_server(config: Config, threads: int) -> Iterator[guarded.GuardedServer]:
    """seedsearch's waitress server in this process, on a real socket, so a test can
    stop its search threads and see what still gets answered."""
    app = create_app({"corpus": config.corpus, "index": config.index})
    sock = socket.create_server(("127.0.0.1", 0))
    served = guarded.create_server(app, sock, threads)
    loop = threading.Thread(target=served.run, daemon=True)
    loop.start()
    try:
        yield served
    finally:
        served.task_dispatcher.set_thread_count(threads)
        served.close()  # the listening socket: the loop ends when its connections are gone
        loop.join(timeout=30)
        assert not loop.is_alive()
        served.task_dispatcher.shutdown()
        served.light_dispatcher.shutdown()
        app.extensions["seedsearch"].close()


def test_health_checks_are_answered_while_every_search_thread_is_taken_and_a_flood_gets_503s(
        web_config: Config) -> None:
    with guarded_server(web_config, threads=1) as served:
        port = served.effective_port
        served.task_dispatcher.set_thread_count(0)  # no search runs: they only queue
        poll(lambda: not served.task_dispatcher.threads)
        waiting = []
        for _ in range(guarded.QUEUED_PER_THREAD):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /api/search?q=harbour HTTP/1.1\r\nHost: localhost\r\n"
                         b"Connection: close\r\n\r\n")
            waiting.append(sock)
        poll(lambda: len(served.task_dispatcher.queue) == guarded.QUEUED_PER_THREAD)
        assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        assert get(f"http://127.0.0.1:{port}/static/style.css")[0] == 200
        status, body, headers = get(f"http://127.0.0.1:{port}/api/search?q=harbour")
        assert status == 503 and headers["Retry-After"] == str(guarded.RETRY_AFTER)
        assert "busy" in json.loads(body)["error"]["message"]
        served.task_dispatcher.set_thread_count(1)  # the queued searches are answered
        for sock in waiting:
            with sock:
                sock.settimeout(30)
                assert sock.recv(65536).startswith(b"HTTP/1.1 200")


# ---------------------------------------------------------------- /healthz and the watcher


def test_healthz_reports_the_watcher_health_it_is_given(web_config: Config) -> None:
    health = WatcherHealth()
    app = create_app({"corpus": web_config.corpus, "index": web_config.index,
                      "SEEDSEARCH_WATCHER": health})
    try:
        client = app.test_client()
        health.set_state("watching")
        assert client.get("/healthz").get_json() == {"status": "ok", "documents": 27,
                                                     "watcher": "running"}
        health.set_state("failed", "watching stopped: OSError: [Errno 28] No space left")
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == {"status": "unhealthy",
                                       "watcher": "stopped: OSError: [Errno 28] No space left"}
    finally:
        app.extensions["seedsearch"].close()


def test_every_worker_answers_503_when_the_watcher_cannot_watch(web_config: Config,
                                                                tmp_path: Path) -> None:
    """A real death: the corpus folder is gone, so the index is served as it was,
    but nothing can follow the corpus; both worker processes say so."""
    with serving(web_config, tmp_path, "--watch", "--workers", "2",
                 copy_corpus=False) as served:
        url = f"{served.base}/healthz"
        poll(lambda: (answer := get_or_none(url)) is not None and answer[0] == 503, timeout=60)
        for _ in range(10):  # new connections: the kernel hands them to either worker
            status, body, _ = get(url)
            assert status == 503
            report = json.loads(body)
            assert report["status"] == "unhealthy"
            assert report["watcher"].startswith("stopped: FileNotFoundError")
        assert get(f"{served.base}/api/search?q=harbour")[0] == 200  # still serving
    assert "the watcher stopped (FileNotFoundError" in served.errors()


def test_healthz_says_the_watcher_is_running(web_config: Config, tmp_path: Path) -> None:
    with serving(web_config, tmp_path, "--watch") as served:
        wait_until_up(f"{served.base}/healthz", served.process)
        poll(lambda: json.loads(get(f"{served.base}/healthz")[1]).get("watcher") == "running")
        assert json.loads(get(f"{served.base}/healthz")[1])["status"] == "ok"


def get_or_none(url: str) -> tuple[int, bytes, dict[str, str]] | None:
    """`get`, or None while the server is not listening yet."""
    try:
        return get(url)
    except OSError:
        return None


# ---------------------------------------------------------------- a startup sync that fails


def test_serve_keeps_serving_the_old_index_when_another_writer_holds_the_lock(
        web_config: Config, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(web_config.index, index)
    with write_lock(index):
        with serving(web_config, tmp_path, "--lock-timeout", "0.2", copy_index=False) as served:
            wait_until_up(f"{served.base}/healthz", served.process)
            status, body, _ = get(f"{served.base}/api/search?q=harbour")
            assert status == 200 and json.loads(body)["total"] == 25
            errors = served.errors()
    assert "could not update the index: Another seedsearch process is updating" in errors
    assert "serving it as it was" in errors and "Traceback" not in errors


def test_serve_keeps_serving_when_the_corpus_is_gone(web_config: Config,
                                                     tmp_path: Path) -> None:
    with serving(web_config, tmp_path, copy_corpus=False) as served:
        wait_until_up(f"{served.base}/healthz", served.process)
        status, body, _ = get(f"{served.base}/api/search?q=harbour")
        assert status == 200 and json.loads(body)["total"] == 25
        errors = served.errors()
    assert "could not update the index:" in errors and "serving it as it was" in errors


def test_serve_says_so_when_the_corpus_could_not_be_read_to_its_end(tmp_path: Path) -> None:
    records = [{"id": f"a{n}", "title": f"Harbour {n}", "text": f"harbour words {n} " * 50}
               for n in range(200)]
    data = gzip.compress("".join(json.dumps(record) + "\n" for record in records).encode())
    (tmp_path / "built").mkdir()
    config = Config(corpus=tmp_path / "built" / "corpus.jsonl.gz", index=tmp_path / "built" / "i")
    config.corpus.write_bytes(data)
    sync(config)
    config.corpus.write_bytes(data[:len(data) // 2])  # the end of the stream is missing
    (tmp_path / "served").mkdir()
    with serving(config, tmp_path / "served") as served:
        wait_until_up(f"{served.base}/healthz", served.process)
        status, body, _ = get(f"{served.base}/api/search?q=harbour&per_page=1")
        assert status == 200 and json.loads(body)["total"] == 200  # the rest was kept
        errors = served.errors()
    assert "could not update the index fully: corpus.jsonl.gz: could not be read to its end" \
        in errors and "serving it as it is" in errors


def test_serve_without_any_usable_index_still_exits_1_naming_the_problem(
        tmp_path: Path) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "indexer", "serve", "--corpus", str(tmp_path / "missing"),
         "--index", str(tmp_path / "index"), "--port", str(free_port())],
        capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert process.returncode == 1
    assert "missing" in process.stderr and "Traceback" not in process.stderr


# ---------------------------------------------------------------- deep pages


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """1,100 distinct articles that all say "harbour": more than MAX_RESULTS."""
    records = [{"id": f"h{n}", "title": f"Harbour log {n}",
                "text": f"The harbour log entry {n} names vessel{n} and cargo{n * 7}."}
               for n in range(1100)]
    return indexed_jsonl(tmp_path_factory.mktemp("many"), records)


def test_pagination_stops_at_the_last_reachable_page(many: Config) -> None:
    app = create_app({"corpus": many.corpus, "index": many.index})
    try:
        client = app.test_client()
        text = client.get("/search?q=harbour").get_data(as_text=True)
        assert "page 1 of 100" in text and "showing the first 1,000 results" in text
        last = client.get("/search?q=harbour&page=100").get_data(as_text=True)
        assert 'rel="prev"' in last and 'rel="next"' not in last
        assert "Page 100 of 100" in last
    finally:
        app.extensions["seedsearch"].close()

