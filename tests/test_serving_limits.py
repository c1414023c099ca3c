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
import resource
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from markupsafe import escape

from indexer import Config
from indexer.watch import WatcherHealth
from indexer.whoosh_engine import sync
from indexer.whoosh_engine.store.generations import write_lock
from searchweb import create_app
from searchweb import server as guarded
from searchweb.cli import allowed_hosts
from searchweb.errors import ECHOED_CHARS
from searchweb.security import HEADERS, is_allowed, parse_host, relative_redirect

from .helpers import ROOT, free_port, indexed_jsonl, poll, wait_until_up

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
              "one digit": "2013-5", "a day": "2013-05-01", "10,000 digits": "1" * 10_000,
              "year zero": "0000-05"}


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
        assert_security_headers(headers)
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
        assert "page 100 of 100" in last
    finally:
        app.extensions["seedsearch"].close()



# ---------------------------------------------------------------- hostile sockets


def assert_security_headers(headers: dict[str, str]) -> None:
    lowered = {name.lower(): value for name, value in headers.items()}
    for name, value in HEADERS.items():
        assert lowered.get(name.lower()) == value, (name, headers)


def exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `request` on a new connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return int(status_line.split()[1]), headers, body


@contextmanager
def open_files_allowed(wanted: int) -> Iterator[None]:
    """This process's soft open-file limit raised to `wanted` (as far as the hard one
    allows) for the test's own client sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (
            wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_1100_idle_sockets_leave_the_server_answering(web_config: Config) -> None:
    """In this process the test's 1,100 sockets come first, so every connection the
    server accepts has a descriptor above 1,024: select() would raise there."""
    with open_files_allowed(4096), guarded_server(web_config, threads=2) as served:
        port = served.effective_port
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(1100)]
        try:
            # waitress 3.0 sets in_connection_overflow once connection_limit are open.
            poll(lambda: served.in_connection_overflow)
            assert max(served.active_channels) >= 1024  # the descriptor numbers
            status, body, _ = get(f"http://127.0.0.1:{port}/api/search?q=harbour")
            assert status == 200 and json.loads(body)["total"] == 25
        finally:
            for sock in idle:
                sock.close()
        assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200


def open_files(pid: int) -> dict[str, int]:
    """How many descriptors process `pid` has open: sockets, and files named style.css."""
    counts = {"socket": 0, "style.css": 0}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:  # closed meanwhile
            continue
        if target.startswith("socket:"):
            counts["socket"] += 1
        elif target.endswith("style.css"):
            counts["style.css"] += 1
    return counts


def answers_until_closed(sock: socket.socket) -> int:
    """How many answers the server sends on `sock` before it closes the connection."""
    sock.setblocking(True)
    sock.settimeout(60)
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionResetError:  # closed with requests of ours left unread: a reset
        pass
    return answer.count(b"HTTP/1.1 200 OK")


def test_pipelined_static_requests_never_read_leave_the_server_answering(
        server: Served) -> None:
    """20 connections each send 3,000 requests for a static file and read nothing:
    waitress 3.0 alone would answer every request parsed (about 1,200 per read) and keep
    each answer's file open until the client reads it, past 1,024 descriptors."""
    request = b"GET /static/style.css HTTP/1.1\r\nHost: localhost\r\n\r\n"
    before = open_files(server.process.pid)["socket"]
    floods = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
    try:
        for sock in floods:
            sock.setblocking(False)
            try:
                sock.sendall(request * 3000)  # as much as the socket takes; never read
            except BlockingIOError:
                pass
        assert get(f"{server.base}/healthz")[0] == 200
        # No open file per answer waiting (one per light thread answering at most), and
        # no socket but the 20 (and the closing /healthz one).
        during = open_files(server.process.pid)
        assert during["style.css"] <= guarded.LIGHT_THREADS, during
        assert during["socket"] <= before + 20 + 1, during
        answered = [answers_until_closed(sock) for sock in floods]
    finally:
        for sock in floods:
            sock.close()
    assert max(answered) <= guarded.MAX_PIPELINED, answered
    assert server.process.poll() is None
    assert get(f"{server.base}/api/search?q=harbour")[0] == 200
    assert "Traceback" not in server.errors()


def test_a_connection_answers_at_most_max_pipelined_requests_then_closes(
        web_config: Config) -> None:
    with guarded_server(web_config, threads=1) as served:
        requests = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n" * 40
        with socket.create_connection(("127.0.0.1", served.effective_port), timeout=30) as sock:
            sock.sendall(requests)  # one write: one read on the server's side
            answer = b""
            while chunk := sock.recv(65536):  # the server closes the connection
                answer += chunk
    assert answer.count(b"HTTP/1.1 200 OK") == guarded.MAX_PIPELINED


def test_answers_wait_while_a_client_leaves_too_much_unread(web_config: Config,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           ) -> None:
    """A client that asks without reading gets no more answers made until it reads;
    once it reads, every request it sent is answered."""
    monkeypatch.setattr(guarded, "PENDING_OUTPUT", 1)  # any unsent byte holds the next answer
    with guarded_server(web_config, threads=1) as served:
        # Small kernel buffers on both sides, so that ten answers cannot all be sent unread
        # (waitress 3.0 sets adj.socket_options on each connection it accepts).
        served.adj.socket_options = [(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)]
        request = b"GET /static/style.css HTTP/1.1\r\nHost: localhost\r\n\r\n"
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.settimeout(30)
            sock.connect(("127.0.0.1", int(served.effective_port)))
            sock.sendall(request * 10)
            poll(lambda: any(channel.held for channel in served.active_channels.values()))
            answer = b""
            while answer.count(b"HTTP/1.1 200 OK") < 10:
                answer += sock.recv(65536)
    assert answer.count(b"HTTP/1.1 200 OK") == 10


def test_a_worker_that_dies_says_why(tmp_path: Path) -> None:
    script = ("import sys\n"
              "from searchweb.workers import listening_socket, run_workers\n"
              "def broken():\n"
              "    raise RuntimeError('the app could not be made')\n"
              "sys.exit(run_workers(listening_socket('127.0.0.1', 0), broken, 2, 1))\n")
    process = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             cwd=ROOT, timeout=60)
    assert process.returncode == 1
    assert "server worker" in process.stderr and "stopped" in process.stderr
    assert "RuntimeError: the app could not be made" in process.stderr


def test_waitress_error_answers_carry_the_security_headers(server: Served) -> None:
    huge_header = b"X-Big: " + b"a" * (guarded.LIMITS["max_request_header_size"] + 10)
    cases = {
        431: b"GET / HTTP/1.1\r\nHost: localhost\r\n" + huge_header + b"\r\n\r\n",
        413: b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10000000\r\n\r\n",
        400: b"GET\x00 / HTTP/1.1\r\nHost: localhost\r\n\r\n",
        501: b"GET / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n",
    }
    for expected, request in cases.items():
        status, headers, _ = exchange(server.port, request)
        assert status == expected, (expected, status)
        assert_security_headers(headers)


# ---------------------------------------------------------------- Host edges


@pytest.mark.parametrize("host", ["evil..example", "localhost.."])
@pytest.mark.parametrize("path", ["/", "/doc//ports/03.txt", "/no/such/page",
                                  "/static/style.css", "/api/search?q=harbour"])
def test_a_host_werkzeug_refuses_is_a_400_page_not_a_traceback(server: Served, host: str,
                                                                path: str) -> None:
    status, body, headers = get(server.base + path, host=host)
    assert status == 400 and b"Unknown host" in body and b"Traceback" not in body
    assert_security_headers(headers)
    assert "Traceback" not in server.errors()


def test_the_error_page_needs_no_url_adapter(web_config: Config) -> None:
    app = create_app({"corpus": web_config.corpus, "index": web_config.index})
    try:
        response = app.test_client().get("/no/such/page", headers={"Host": "evil..example"})
        assert response.status_code == 400 and response.mimetype == "text/html"
        assert "Unknown host" in response.get_data(as_text=True)
        assert_security_headers(dict(response.headers))
    finally:
        app.extensions["seedsearch"].close()


def test_one_trailing_dot_at_most_is_the_same_host() -> None:
    assert is_allowed("localhost.", ["localhost"])
    assert not is_allowed("localhost..", ["localhost"])


LOOSE_HOSTS = ["localhost:abc", "localhost:99999999", "localhost:65536", "localhost:",
               "[::1", "[::1]evil.example", "localhost:+80", "[::1]:", "[evil.example]",
               "local host", "localhost:80:80", "user@localhost"]


@pytest.mark.parametrize("host", LOOSE_HOSTS)
def test_loose_host_values_are_refused(server: Served, host: str) -> None:
    status, body, _ = get(f"{server.base}/api/search?q=harbour", host=host)
    assert status == 400 and "Unknown host" in json.loads(body)["error"]["message"]


def test_host_values_are_parsed_strictly() -> None:
    for loose in [*LOOSE_HOSTS, "localhost:\uff18\uff10", "localhost:\u00b2", "l\u00f6calhost"]:
        assert parse_host(loose) is None, loose


def test_strict_hosts_still_parse() -> None:
    assert parse_host("LocalHost:8000") == "localhost"
    assert parse_host("[::1]:65535") == "::1" and parse_host("127.0.0.1") == "127.0.0.1"
    assert parse_host("search.example.org.") == "search.example.org."


def test_http_11_without_a_host_is_refused_but_http_10_is_answered(server: Served) -> None:
    status, _, body = exchange(server.port, b"GET /api/search?q=harbour HTTP/1.1\r\n"
                                            b"Connection: close\r\n\r\n")
    assert status == 400 and b"Host" in body
    status, _, body = exchange(server.port, b"GET /api/search?q=harbour HTTP/1.0\r\n\r\n")
    assert status == 200 and json.loads(body)["total"] == 25


def test_an_absolute_target_is_checked_by_its_own_authority(server: Served) -> None:
    status, _, body = exchange(server.port, b"GET http://evil.example/api/search?q=harbour "
                               b"HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert status == 400 and b"evil.example" in body
    status, _, body = exchange(server.port, b"GET http://localhost/api/search?q=harbour "
                               b"HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert status == 200 and json.loads(body)["total"] == 25


# ---------------------------------------------------------------- redirects


def redirect_location(port: int, path: str, host: str) -> str:
    status, headers, _ = exchange(port, f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
                                        "Connection: close\r\n\r\n".encode())
    assert 300 <= status < 400, status
    return headers["Location"]


def test_redirects_are_relative_whatever_the_case_of_the_host(server: Served,
                                                              public_server: Served) -> None:
    assert redirect_location(server.port, "/doc//ports/03.txt", "LOCALHOST") \
        == "/doc/ports/03.txt"
    location = redirect_location(public_server.port, "/api//search?q=harbour", "EVIL.example")
    assert location.startswith("/api/search") and "evil" not in location.lower()


@pytest.mark.parametrize("location, relative", [
    ("http://EVIL.example/a", "/a"), ("HTTPS://x.example:81/a?b=1", "/a?b=1"),
    ("//evil.example/a", "/a"), ("http://h//evil.example/a", "/evil.example/a"),
    ("/\\evil.example/a", "/evil.example/a"), ("http://h", "/"), ("/doc/1", "/doc/1")])
def test_a_location_keeps_its_path_only(web_config: Config, location: str,
                                        relative: str) -> None:
    app = create_app({"corpus": web_config.corpus, "index": web_config.index})
    try:
        with app.test_request_context("/"):
            response = app.response_class(status=308, headers={"Location": location})
            assert relative_redirect(response).headers["Location"] == relative
    finally:
        app.extensions["seedsearch"].close()


# ---------------------------------------------------------------- echoes and logs


@pytest.mark.parametrize("prefix", ["/doc/", "/api/doc/"])
def test_an_unknown_id_is_echoed_cut_short(client, prefix: str) -> None:
    response = client.get(prefix + "x" * 60_000)
    assert response.status_code == 404 and len(response.get_data()) < 10_000
    text = (response.get_json()["error"]["message"] if prefix.startswith("/api/")
            else response.get_data(as_text=True))
    assert "x" * ECHOED_CHARS + "\u2026" in text and "x" * (ECHOED_CHARS + 1) not in text


def test_a_burst_of_searches_writes_no_line_per_request(web_config: Config,
                                                        tmp_path: Path) -> None:
    with serving(web_config, tmp_path, "--threads", "1") as served:
        wait_until_up(f"{served.base}/healthz", served.process)
        before = served.errors()
        statuses: list[int] = []
        burst = [threading.Thread(target=lambda: statuses.append(
            get(f"{served.base}/api/search?q=harbour+ships&per_page=50")[0]))
            for _ in range(50)]
        for thread in burst:
            thread.start()
        for thread in burst:
            thread.join()
        assert len(statuses) == 50 and set(statuses) <= {200, 503} and 200 in statuses
        assert get(f"{served.base}/healthz")[0] == 200
        logged = served.errors()[len(before):]
    assert "queue depth" not in logged and logged.strip() == ""


# ------------------------------------------------------------------ heavy searches take turns

def test_heavy_searches_take_turns_and_normal_ones_never_wait(app):
    """While a heavy search holds the only turn, another heavy one waits its HEAVY_WAIT
    and gets a 503 with Retry-After; a normal search beside them is answered."""
    from searchweb.heavy import HEAVY_RESULTS, HEAVY_WORDS, is_heavy

    gate = app.extensions["seedsearch_heavy"]
    gate.wait = 0.2
    client = app.test_client()
    deep = "/api/search?q=harbour&page=2&per_page=100"
    long_query = "/api/search?q=" + "+".join(["harbour"] * (HEAVY_WORDS + 1))
    assert is_heavy("harbour", 2, 100) and 2 * 100 > HEAVY_RESULTS
    with gate.turn_for("harbour", 2, 100):  # a heavy search under way
        for path in (deep, long_query, "/search?q=harbour&page=11"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response.headers["Retry-After"] == "2"
            assert "heavy searches" in response.get_data(as_text=True)
            assert response.headers["Content-Security-Policy"]
        assert client.get("/api/search?q=harbour").status_code == 200
        assert client.get("/search?q=harbour&page=2").status_code == 200
        assert client.get("/api/search?q=harbour&page=1000&per_page=100").status_code == 400
    assert client.get(deep).status_code == 200  # its turn came back
