"""The fetcher against a real HTTP server on loopback serving the shared real and edge feeds."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import need_shared
from tests.feedserver import DEFAULT_FEED, FeedServer
from veille.adapters.http import DEFAULT_USER_AGENT, fetch_feeds, fetch_feeds_sync, parse_retry_after
from veille.errors import StorageError
from veille.models import FeedState, FetchResult, FetchSettings

FAST = FetchSettings(connect_timeout=2.0, read_timeout=2.0)


@pytest.fixture(scope="module")
def roots() -> dict[str, Path]:
    return {"real": need_shared("feeds", "real"), "edge": need_shared("feeds", "edge")}


@pytest.fixture(scope="module")
def module_server(roots: dict[str, Path]) -> Iterator[FeedServer]:
    with FeedServer(roots, slow_seconds=3.0, huge_bytes=64 * 1024 * 1024) as server:
        yield server


@pytest.fixture
def server(module_server: FeedServer) -> FeedServer:
    module_server.reset_counts()
    return module_server


def state(url: str, feed_id: int = 1, **fields: object) -> FeedState:
    return FeedState(id=feed_id, url=url, config_url=url, **fields)  # type: ignore[arg-type]


def fetch(
    server: FeedServer,
    path: str,
    settings: FetchSettings = FAST,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    feed = state(server.url(path), etag=etag, last_modified=last_modified)
    [result] = fetch_feeds_sync([(feed, settings)])
    return result


def test_a_real_feed_arrives_whole_with_its_validators(server: FeedServer, roots: dict[str, Path]) -> None:
    result = fetch(server, "/real/techcrunch.xml")
    assert result.error is None
    assert result.status == 200
    assert result.body == (roots["real"] / "techcrunch.xml").read_bytes()
    assert result.etag == server.resource("/real/techcrunch.xml").etag  # type: ignore[union-attr]
    assert result.last_modified
    assert result.headers["content-type"] == "application/xml"
    assert result.permanent_redirect is None and not result.not_modified


def test_requests_carry_an_honest_user_agent_and_accept_compression(server: FeedServer) -> None:
    fetch(server, "/echo-headers")
    sent = {k.lower(): v for k, v in server.last_headers("/echo-headers").items()}
    assert sent["user-agent"] == DEFAULT_USER_AGENT
    assert (
        DEFAULT_USER_AGENT.startswith("veille/") and "(+https://github.com/veille-watch/veille)" in sent["user-agent"]
    )
    assert "gzip" in sent["accept-encoding"] and "deflate" in sent["accept-encoding"]
    assert "application/rss+xml" in sent["accept"]


def test_user_agent_from_settings_or_caller_replaces_the_default(server: FeedServer) -> None:
    fetch(server, "/echo-headers", FetchSettings(user_agent="acme-watch/2"))
    assert server.last_headers("/echo-headers")["User-Agent"] == "acme-watch/2"
    fetch_feeds_sync([(state(server.url("/echo-headers")), FAST)], user_agent="caller/1")
    assert server.last_headers("/echo-headers")["User-Agent"] == "caller/1"


def test_second_fetch_with_stored_validators_is_a_304_without_body(server: FeedServer) -> None:
    path = "/real/guardian_international.rss"
    first = fetch(server, path)
    sent_first = server.body_bytes(path)
    assert sent_first == len(first.body or b"") > 0

    second = fetch(server, path, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.status == 304
    assert second.body is None and second.error is None
    assert second.etag == first.etag and second.last_modified == first.last_modified
    assert server.statuses(path) == [200, 304]
    assert server.body_bytes(path) == sent_first  # not one body byte more


def test_if_modified_since_alone_also_gives_304(server: FeedServer) -> None:
    first = fetch(server, "/real/slashdot.rdf")
    second = fetch(server, "/real/slashdot.rdf", last_modified=first.last_modified)
    assert second.not_modified and second.body is None


def test_every_real_feed_refetched_costs_zero_body_bytes(server: FeedServer) -> None:
    paths = server.paths("/real/")
    assert len(paths) >= 40
    firsts = fetch_feeds_sync([(state(server.url(p), i), FAST) for i, p in enumerate(paths)])
    assert all(r.status == 200 and r.body for r in firsts)
    before = server.total_body_bytes
    seconds = fetch_feeds_sync(
        [(state(r.requested_url, r.feed_id, etag=r.etag, last_modified=r.last_modified), FAST) for r in firsts]
    )
    assert [r.not_modified for r in seconds] == [True] * len(paths)
    assert server.total_body_bytes == before


def test_a_changed_feed_is_fetched_again_despite_old_validators(server: FeedServer) -> None:
    server.register("/changing.xml", b"<rss>one</rss>", modified=1_700_000_000)
    first = fetch(server, "/changing.xml")
    server.register("/changing.xml", b"<rss>two</rss>", modified=1_800_000_000)
    second = fetch(server, "/changing.xml", etag=first.etag, last_modified=first.last_modified)
    assert second.status == 200 and second.body == b"<rss>two</rss>"
    assert second.etag != first.etag


@pytest.mark.parametrize(
    ("path", "permanent"),
    [
        ("/moved-permanently", True),
        ("/moved-308", True),
        ("/found", False),
        ("/temp-307", False),
        ("/see-other", False),
        ("/moved-permanently/found", False),  # 301 then 302: the move is not permanent
        ("/moved-permanently/moved-308", True),
    ],
)
def test_redirects_are_followed_and_only_all_permanent_chains_move_the_feed(
    server: FeedServer, path: str, permanent: bool
) -> None:
    result = fetch(server, path)
    assert result.error is None and result.status == 200
    assert result.final_url == server.url(DEFAULT_FEED)
    assert result.permanent_redirect == (server.url(DEFAULT_FEED) if permanent else None)
    assert result.requested_url == server.url(path)


def test_a_redirect_loop_ends_with_a_clear_error(server: FeedServer) -> None:
    result = fetch(server, "/loop-a")
    assert result.error == "redirect loop"
    assert result.body is None and result.permanent_redirect is None
    assert server.hits("/loop-a") == 1 and server.hits("/loop-b") == 1


def test_too_many_redirects_stops_at_the_cap(server: FeedServer) -> None:
    assert fetch(server, "/chain/4").error is None  # 5 redirects: allowed
    result = fetch(server, "/chain/5")  # 6 redirects
    assert result.error == "too many redirects (more than 5)"
    assert server.hits(DEFAULT_FEED) == 1  # only the allowed chain reached the feed


def test_gone_feed_is_marked_gone(server: FeedServer) -> None:
    result = fetch(server, "/gone")
    assert result.gone and result.status == 410
    assert result.error == "gone (HTTP 410)"


@pytest.mark.parametrize(
    ("path", "error"),
    [("/missing", "HTTP 404 Not Found"), ("/error", "HTTP 500 Internal Server Error")],
)
def test_http_errors_are_results_with_one_clear_reason(server: FeedServer, path: str, error: str) -> None:
    result = fetch(server, path)
    assert result.error == error
    assert result.body is None and not result.gone and result.retry_after is None


def test_rate_limited_feed_reports_retry_after_seconds(server: FeedServer) -> None:
    result = fetch(server, "/ratelimit")
    assert result.error == "HTTP 429 Too Many Requests"
    assert result.retry_after == 120


def test_unavailable_feed_reports_retry_after_from_an_http_date(server: FeedServer) -> None:
    result = fetch(server, "/unavailable")
    assert result.error == "HTTP 503 Service Unavailable"
    assert result.retry_after is not None and 295 <= result.retry_after <= 300


def test_retry_after_parses_both_forms() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Sat, 28 Nov 2026 06:05:00 GMT", now=now) == 300
    assert parse_retry_after("Sat, 28 Nov 2026 05:00:00 GMT", now=now) == 0  # in the past: now
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_a_slow_server_times_out_with_the_read_timeout_named(server: FeedServer) -> None:
    result = fetch(server, "/slow", FetchSettings(connect_timeout=2.0, read_timeout=0.3))
    assert result.error == "timed out after 0.3 s (read)"
    assert result.status is None and result.body is None
    assert result.elapsed < 2.0  # did not wait for the server's 3 s


def test_a_truncated_body_is_an_error_not_a_short_feed(server: FeedServer) -> None:
    result = fetch(server, "/truncated")
    assert result.error == "connection closed before the end of the body"
    assert result.body is None


@pytest.mark.parametrize("path", ["/huge", "/huge-declared"])
def test_the_size_cap_stops_reading_a_huge_body(server: FeedServer, path: str) -> None:
    result = fetch(server, path, FetchSettings(max_bytes=256 * 1024))
    assert result.error == "body larger than 256 KiB"
    assert result.body is None
    # The client hung up: the server could not write its 64 MiB (socket buffers take a few MiB at most).
    assert server.body_bytes(path) < 32 * 1024 * 1024


def test_the_size_cap_is_per_feed(server: FeedServer) -> None:
    url = server.url("/real/techcrunch.xml")  # 207 013 bytes
    small, large = fetch_feeds_sync(
        [(state(url, 1), FetchSettings(max_bytes=100_000)), (state(url, 2), FetchSettings())]
    )
    assert small.error == "body larger than 97.7 KiB"
    assert large.error is None and len(large.body or b"") == 207_013


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compressed_bodies_are_decoded(server: FeedServer, roots: dict[str, Path], encoding: str) -> None:
    result = fetch(server, f"/{encoding}/real/the_verge.atom")
    assert result.headers["content-encoding"] == encoding
    assert result.body == (roots["real"] / "the_verge.atom").read_bytes()
    assert server.body_bytes(f"/{encoding}/real/the_verge.atom") < len(result.body) / 2  # really compressed


def test_the_edge_gzip_fixture_arrives_decompressed(server: FeedServer, roots: dict[str, Path]) -> None:
    result = fetch(server, "/edge/nfp_gzip_body_windows1251.xml.gz")
    assert result.body == gzip.decompress((roots["edge"] / "nfp_gzip_body_windows1251.xml.gz").read_bytes())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://example.org/feed.xml", "invalid URL: scheme must be http or https, not 'ftp'"),
        ("not a url", "invalid URL: scheme must be http or https, not 'missing'"),
        ("http:///feed.xml", "invalid URL: no host"),
        ("http://example.org:99999/feed", "invalid URL: bad port"),
    ],
)
def test_invalid_urls_fail_before_any_request(url: str, error: str) -> None:
    [result] = fetch_feeds_sync([(state(url), FAST)])
    assert result.error == error


def test_a_closed_port_is_connection_refused() -> None:
    [result] = fetch_feeds_sync([(state(f"http://127.0.0.1:{free_port()}/feed.xml"), FAST)])
    assert result.error == "connection refused"


def test_one_failing_feed_does_not_stop_the_others(server: FeedServer) -> None:
    paths = ["/missing", "/real/nixos_news.xml", "/loop-a", "/real/heise_online.rdf", "/gone"]
    results = fetch_feeds_sync([(state(server.url(p), i), FAST) for i, p in enumerate(paths)])
    assert [r.feed_id for r in results] == [0, 1, 2, 3, 4]  # input order
    assert [r.error is None for r in results] == [False, True, False, True, False]


def test_the_global_cap_holds_at_the_server(server: FeedServer) -> None:
    urls = [server.url(f"/delay/500{DEFAULT_FEED}?copy={i}") for i in range(6)]
    settings = FetchSettings(concurrency=3, per_host=50)
    results = fetch_feeds_sync([(state(u, i), settings) for i, u in enumerate(urls)])
    assert all(r.error is None for r in results)
    assert server.max_in_flight == 3


def test_the_per_host_cap_holds_and_other_hosts_proceed(server: FeedServer) -> None:
    feeds = [
        (state(server.url(f"/delay/500{DEFAULT_FEED}?copy={i}", host=host), i), FetchSettings(per_host=2))
        for i in range(4)
        for host in ("127.0.0.1", "localhost")
    ]
    results = fetch_feeds_sync(feeds)
    assert all(r.error is None for r in results)
    assert server.max_in_flight_by_host["127.0.0.1"] == 2
    assert server.max_in_flight_by_host["localhost"] == 2
    assert server.max_in_flight == 4  # two hosts, two each, at the same time


def test_on_result_sees_each_feed_as_soon_as_it_is_done(server: FeedServer) -> None:
    seen: list[int] = []
    feeds = [
        (state(server.url(f"/delay/600{DEFAULT_FEED}"), 1), FAST),
        (state(server.url("/real/pc_inpact.xml"), 2), FAST),
    ]
    results = fetch_feeds_sync(feeds, on_result=lambda r: seen.append(r.feed_id))
    assert seen == [2, 1]  # the quick feed was handed over first
    assert [r.feed_id for r in results] == [1, 2]


def test_an_on_result_failure_stops_the_run_with_its_own_error(server: FeedServer) -> None:
    def broken_store(result: FetchResult) -> None:
        raise StorageError("database is locked")

    with pytest.raises(StorageError, match="database is locked"):
        fetch_feeds_sync([(state(server.url(DEFAULT_FEED)), FAST)], on_result=broken_store)


def test_fetch_feeds_runs_inside_an_existing_event_loop(server: FeedServer) -> None:
    async def main() -> list[FetchResult]:
        return await fetch_feeds([(state(server.url(DEFAULT_FEED)), FAST)])

    [result] = asyncio.run(main())
    assert result.status == 200
    assert fetch_feeds_sync([]) == []
