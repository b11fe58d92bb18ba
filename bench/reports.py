"""Report speed: a realistic data set through the real store, then every report's latency.

    python bench/reports.py --hits 1000000 [--days 180] [--db PATH] [--runs 7] [--keep]

1. Generates ``--hits`` hits over ``--days`` days ending yesterday: visits by day of week and
   hour, returning visitors (about a third of visits), 2,000 pages with Zipf popularity,
   referrers (direct, search, social, 300 websites with Zipf popularity, campaigns), countries,
   browsers, devices, events with values, outlinks, downloads and heartbeat pings.
2. Writes them through ``SQLiteStore.write_batch`` in time order, 2,000 hits per transaction:
   the production ingest path, so visits and every rollup are maintained exactly as in
   production. Prints hits/s committed.
3. Measures ingest without report maintenance on a sample (same store, visits switched off),
   to show what the rollups cost.
4. Times every report for the last 30 days of the data (median of ``--runs`` runs, after one
   warm-up), through ``Store.read_reports`` as the HTTP routes call it.

With ``--db`` an existing data set is reused (generation is skipped when it has hits).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import math
import multiprocessing
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from multiprocessing.queues import Queue
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.reports import matomo_api, queries, rollups  # noqa: E402
from gateway.reports.matomo_api import Context  # noqa: E402
from gateway.reports.periods import DateRange  # noqa: E402
from gateway.reports.queries import Query  # noqa: E402
from gateway.reports.source import Filter, ReportSource  # noqa: E402
from gateway.storage.base import AddHits  # noqa: E402
from gateway.storage.sqlite import SQLiteStore  # noqa: E402
from gateway.timefmt import iso  # noqa: E402
from gateway.tracking.record import HitRecord  # noqa: E402
from gateway.tracking.urls import referrer_host  # noqa: E402

SITE = "bench"
RETURNING = 0.35  # share of visits by a visitor seen before (when one is at hand)
RETURN_DAYS = 7.0  # mean days until a returning visitor comes back
BATCH = 2000  # hits per transaction in the ingest-cost comparison (the writer's batches)
BULK_BATCH = 20_000  # hits per transaction when generating the data set
# Hit indexes the visit maintenance does not read: built after a bulk load instead of during it.
LATE_INDEXES = {
    "hits_site_ts": "CREATE INDEX hits_site_ts ON hits (site, ts)",
    "hits_consent": "CREATE INDEX hits_consent ON hits (consent_id)",
}
WEEKDAY_WEIGHT = (1.0, 1.05, 1.05, 1.0, 0.9, 0.6, 0.55)
HOUR_WEIGHT = tuple(0.2 + math.exp(-((h - 13) ** 2) / 18) for h in range(24))


def zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return list(itertools.accumulate(1 / (k**s) for k in range(1, n + 1)))


class Pick:
    """Fast weighted choice over a fixed list (cumulative weights + bisect)."""

    def __init__(self, items: Sequence[object], cumulative: Sequence[float]) -> None:
        self.items = list(items)
        self.cumulative = list(cumulative)
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> object:
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.total)]


def weighted(pairs: Sequence[tuple[object, float]]) -> Pick:
    return Pick([p[0] for p in pairs], list(itertools.accumulate(p[1] for p in pairs)))


PAGES = Pick(
    [f"https://bench.example/{section}/{n}" for n in range(2000) for section in ("p",)],
    zipf_weights(2000),
)
TITLES = {f"https://bench.example/p/{n}": f"Page {n}" for n in range(2000)}
WEBSITES = Pick([f"https://site{n}.example/link" for n in range(300)], zipf_weights(300))
REFERRER = weighted(
    [
        ("direct", 50),
        ("https://www.google.com/", 18),
        ("https://www.google.fi/", 5),
        ("https://www.bing.com/", 2),
        ("https://duckduckgo.com/", 1),
        ("https://l.facebook.com/", 5),
        ("https://www.linkedin.com/", 3),
        ("https://t.co/x", 1),
        ("website", 10),
        ("campaign", 5),
    ]
)
CAMPAIGNS = Pick([f"campaign-{n}" for n in range(20)], zipf_weights(20))
COUNTRIES = Pick(
    ["FI", "SE", "EE", "DE", "US", "GB", "NO", "DK", "NL", "FR", "PL", "RU", "ES", "IT", "JP"]
    + [f"X{n}" for n in range(25)],
    zipf_weights(40, 1.6),
)
AGENTS = weighted(
    [
        (("Chrome", "Windows", "desktop", "1920x1080"), 30),
        (("Edge", "Windows", "desktop", "1920x1080"), 10),
        (("Firefox", "Windows", "desktop", "2560x1440"), 6),
        (("Safari", "Mac OS X", "desktop", "1440x900"), 8),
        (("Chrome Mobile", "Android", "smartphone", "412x915"), 22),
        (("Mobile Safari", "iOS", "smartphone", "390x844"), 18),
        (("Mobile Safari", "iOS", "tablet", "820x1180"), 4),
        (("Samsung Internet", "Android", "smartphone", "360x800"), 2),
    ]
)
LANGS = weighted([("fi-FI,fi;q=0.9", 70), ("sv-FI,sv;q=0.9", 8), ("en-US,en;q=0.9", 20), ("de", 2)])
EVENTS = Pick(
    [
        (f"Category {c}", f"Action {a}", f"Name {n}")
        for c in range(10)
        for a in range(5)
        for n in range(3)
    ],
    zipf_weights(150),
)


def day_weights(days: Sequence[date]) -> Pick:
    return Pick(days, list(itertools.accumulate(WEEKDAY_WEIGHT[d.weekday()] for d in days)))


HOURS = Pick(list(range(24)), list(itertools.accumulate(HOUR_WEIGHT)))


def visit_hits(
    rng: random.Random,
    visitor: str,
    start: datetime,
    agent: tuple[str, ...],
    lang: str,
    country: str,
) -> list[HitRecord]:
    """One visit: 1..n page views (geometric, mean 3.5), some events, links and pings."""
    referrer_kind = REFERRER(rng)
    referrer: str | None = None
    campaign: str | None = None
    if referrer_kind == "website":
        referrer = str(WEBSITES(rng))
    elif referrer_kind == "campaign":
        campaign = str(CAMPAIGNS(rng))
    elif referrer_kind != "direct":
        referrer = str(referrer_kind)
    pageviews = 1 if rng.random() < 0.45 else 2 + int(rng.expovariate(1 / 3))
    browser, os_, device, resolution = agent
    common = {
        "site": SITE,
        "idsite": 1,
        "mode": "consented",
        "visitor_id": visitor,
        "consent_id": "bench",
        "resolution": resolution,
        "lang": lang,
        "country": country,
        "browser": browser,
        "browser_version": "120.0",
        "os": os_,
        "device": device,
        "ip": "192.0.0.0",
    }
    hits: list[HitRecord] = []
    when = start
    for n in range(pageviews):
        url = str(PAGES(rng))
        hits.append(
            HitRecord(
                ts=iso(when),
                kind="pageview",
                url=url,
                action_name=TITLES[url],
                referrer=referrer if n == 0 else None,
                referrer_host=referrer_host(referrer) if n == 0 else None,
                campaign_name=campaign if n == 0 else None,
                **common,  # type: ignore[arg-type]
            )
        )
        roll = rng.random()
        if roll < 0.12:
            category, action, name = EVENTS(rng)  # type: ignore[misc]
            when += timedelta(seconds=rng.randint(2, 60))
            hits.append(
                HitRecord(
                    ts=iso(when),
                    kind="event",
                    url=url,
                    event_category=category,
                    event_action=action,
                    event_name=name,
                    event_value=rng.choice((None, 1.0, 2.5, 10.0)),
                    **common,  # type: ignore[arg-type]
                )
            )
        elif roll < 0.16:
            when += timedelta(seconds=rng.randint(2, 60))
            kind = "download" if roll < 0.14 else "outlink"
            link = (
                f"https://bench.example/files/doc{rng.randint(0, 40)}.pdf"
                if kind == "download"
                else str(WEBSITES(rng))
            )
            hits.append(HitRecord(ts=iso(when), kind=kind, url=url, link=link, **common))  # type: ignore[arg-type]
        if rng.random() < 0.3:
            when += timedelta(seconds=15)
            hits.append(HitRecord(ts=iso(when), kind="ping", url=url, **common))  # type: ignore[arg-type]
        when += timedelta(seconds=int(rng.expovariate(1 / 70)) + 3)
    return hits


def generate(
    rng: random.Random, total: int, days: int, last_day: date
) -> Iterator[list[HitRecord]]:
    """Hits day by day, each day's hits in time order; ``total`` in all, give or take a visit."""
    span = [last_day - timedelta(days=days - 1 - n) for n in range(days)]
    weights = [WEEKDAY_WEIGHT[d.weekday()] for d in span]
    # Visitors by the day they last came; a returning visitor comes back after a number of
    # days drawn from an exponential distribution (mean RETURN_DAYS), the same day included.
    by_day: list[list[tuple[str, tuple[str, ...], str, str]]] = []
    counter = itertools.count()
    made = visits_made = 0
    for n, (day, weight) in enumerate(zip(span, weights, strict=True)):
        per_visit = made / visits_made if visits_made else 5.5
        left = sum(weights[n:])
        visits = max(1, round((total - made) / per_visit * weight / left))
        visits_made += visits
        hits: list[HitRecord] = []
        today: list[tuple[str, tuple[str, ...], str, str]] = []
        by_day.append(today)
        for _ in range(visits):
            back = int(rng.expovariate(1 / RETURN_DAYS))
            pool = by_day[n - back] if back <= n else []
            if pool and rng.random() < RETURNING:
                visitor = pool[rng.randrange(len(pool))]
            else:
                visitor = (
                    f"{next(counter):016x}",
                    AGENTS(rng),  # type: ignore[misc]
                    str(LANGS(rng)),
                    str(COUNTRIES(rng)),
                )
            today.append(visitor)
            start = datetime(day.year, day.month, day.day, int(HOURS(rng)), tzinfo=UTC)
            start += timedelta(seconds=rng.randint(0, 3599), microseconds=rng.randint(0, 999999))
            hits += visit_hits(rng, visitor[0], start, *visitor[1:])
        hits.sort(key=lambda h: h.ts)
        made += len(hits)
        yield hits


def _produce(
    out: Queue[list[HitRecord] | None], seed: int, total: int, days: int, last_day: date
) -> None:
    for day_hits in generate(random.Random(seed), total, days, last_day):
        out.put(day_hits)
    out.put(None)


def produced(seed: int, total: int, days: int, last_day: date) -> Iterator[list[HitRecord]]:
    """``generate`` run in a separate process, so it does not take the writer's core."""
    context = multiprocessing.get_context("fork")
    queue: Queue[list[HitRecord] | None] = context.Queue(maxsize=4)
    process = context.Process(target=_produce, args=(queue, seed, total, days, last_day))
    process.start()
    try:
        while (day_hits := queue.get()) is not None:
            yield day_hits
    finally:
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()


async def load(
    store: SQLiteStore, batches: Iterator[list[HitRecord]], size: int = BATCH
) -> tuple[int, float]:
    count = 0
    shown = 0.0
    started = time.perf_counter()
    for day_hits in batches:
        for i in range(0, len(day_hits), size):
            chunk = day_hits[i : i + size]
            await store.write_batch([AddHits(tuple(chunk))])
            count += len(chunk)
        elapsed = time.perf_counter() - started
        if elapsed - shown > 10:
            shown = elapsed
            print(f"  {count:>12,} hits, {count / elapsed:,.0f} hits/s", flush=True)
    return count, time.perf_counter() - started


class NoReports:
    """A stand-in visit maintainer: every hit gets visit id 0 and no rollup is touched."""

    def apply(self, conn: object, hits: Sequence[tuple[int, HitRecord]]) -> dict[int, int]:
        return {hit_id: 0 for hit_id, _ in hits}

    def committed(self) -> None: ...

    def rolled_back(self) -> None: ...


async def ingest_cost(sample: int, days: int, last_day: date) -> None:
    print(f"\nIngest, {sample:,} hits in {BATCH}-hit transactions (fresh database each):")
    variants = (
        ("with visits and rollups", "all"),
        ("without context rows", "plain"),
        ("hits only", "none"),
    )
    for label, reports in variants:
        with tempfile.TemporaryDirectory() as tmp:
            store = SQLiteStore(Path(tmp) / "i.db")
            await store.open()
            if reports == "none":
                store.visits = NoReports()  # type: ignore[assignment]
            contexts = rollups._contexts
            if reports == "plain":  # what the rollups cost without the context rows
                rollups._contexts = lambda visit, intern, dims: []
            try:
                count, seconds = await load(store, produced(7, sample, days, last_day))
            finally:
                rollups._contexts = contexts
            await store.close()
        print(f"  {label:<26} {count / seconds:>10,.0f} hits/s")


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()  # warm-up: page cache, statement cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def reports(last_day: date) -> list[tuple[str, Callable[[ReportSource], object]]]:
    period = DateRange(last_day - timedelta(days=29), last_day)
    q = Query(SITE, period)
    fi = Query(SITE, period, (Filter("country", "FI"),))
    phone = Query(SITE, period, (Filter("device", "smartphone"),))
    fi_phone = Query(SITE, period, (Filter("country", "FI"), Filter("device", "smartphone")))
    ctx = Context("range", 100, "https://bench.example")
    found: list[tuple[str, Callable[[ReportSource], object]]] = [
        ("summary", lambda s: queries.summary(s, q)),
        ("summary ?compare=previous", lambda s: queries.summary(s, q, compare=True)),
        ("timeseries day", lambda s: queries.timeseries(s, q, "day")),
        ("timeseries hour", lambda s: queries.timeseries(s, q, "hour")),
        ("timeseries week", lambda s: queries.timeseries(s, q, "week")),
        ("timeseries month", lambda s: queries.timeseries(s, q, "month")),
    ]
    for name in (
        "pages",
        "entry_pages",
        "exit_pages",
        "page_titles",
        "referrers",
        "referrer_types",
        "websites",
        "search_engines",
        "social_networks",
        "campaigns",
        "countries",
        "browsers",
        "os",
        "devices",
        "resolutions",
        "languages",
        "events",
        "event_categories",
        "outlinks",
        "downloads",
    ):
        found.append((name, lambda s, n=name: queries.breakdown(s, q, n, 10)))
    found += [
        ("pages ?compare=previous", lambda s: queries.breakdown(s, q, "pages", 10, True)),
        ("realtime", lambda s: queries.realtime(s, SITE, datetime.now(UTC))),
        ("consents", lambda s: queries.consents(s, SITE, period)),
        ("Matomo VisitsSummary.get", lambda s: matomo_api.visits_summary(s, q, ctx)),
        ("Matomo Actions.getPageUrls", lambda s: matomo_api.page_urls(s, q, ctx)),
        ("Matomo Referrers.getReferrerType", lambda s: matomo_api.referrer_types(s, q, ctx)),
        ("summary ?filter=country:FI", lambda s: queries.summary(s, fi)),
        ("summary ?filter=country:FI&compare", lambda s: queries.summary(s, fi, compare=True)),
        ("pages ?filter=country:FI", lambda s: queries.breakdown(s, fi, "pages", 10)),
        ("referrers ?filter=country:FI", lambda s: queries.breakdown(s, fi, "referrers", 10)),
        ("events ?filter=country:FI", lambda s: queries.breakdown(s, fi, "events", 10)),
        ("timeseries day ?filter=country:FI", lambda s: queries.timeseries(s, fi, "day")),
        ("summary ?filter=device:smartphone", lambda s: queries.summary(s, phone)),
        ("pages ?filter=device:smartphone", lambda s: queries.breakdown(s, phone, "pages", 10)),
        ("pages ?filter=country:FI&device", lambda s: queries.breakdown(s, fi_phone, "pages", 10)),
    ]
    return found


async def measure(store: SQLiteStore, last_day: date, runs: int) -> None:
    print(
        f"\nReports for {last_day - timedelta(days=29)}..{last_day} (30 days), "
        f"median / max of {runs} runs, ms:"
    )
    loop = asyncio.get_running_loop()
    for name, fn in reports(last_day):

        def call(fn: Callable[[ReportSource], object] = fn) -> object:
            return asyncio.run_coroutine_threadsafe(store.read_reports(fn), loop).result()

        median, worst = await asyncio.to_thread(timed, call, runs)
        print(f"  {name:<36} {median:>9.1f} {worst:>9.1f}")


def sizes(path: Path) -> None:
    conn = sqlite3.connect(path)
    for table in (
        "hits",
        "visits",
        "rollup_days",
        "rollup_weeks",
        "rollup_months",
        "rollup_hours",
        "visitor_days",
        "visitor_firsts",
        "dim_values",
    ):
        n = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        print(f"  {table:<16} {n:>12,} rows")
        if table == "rollup_days":
            n = conn.execute("SELECT COUNT(*) FROM rollup_days WHERE dim < 0").fetchone()[0]
            print(f"    of which context rows {n:>9,}")
    conn.close()
    print(f"  file             {path.stat().st_size / 1e9:>12.2f} GB")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--ingest-sample", type=int, default=200_000)
    args = parser.parse_args()
    last_day = datetime.now(UTC).date() - timedelta(days=1)
    path = args.db or Path(tempfile.mkdtemp()) / "reports.db"
    store = SQLiteStore(path)
    await store.open()
    existing = await store.read_reports(lambda s: s.totals(SITE, "0000-01-01", "9999-12-31", ()))
    if existing.visits == 0:
        print(
            f"Generating {args.hits:,} hits over {args.days} days into {path} "
            f"({BULK_BATCH:,} hits per transaction; {', '.join(LATE_INDEXES)} built after):"
        )
        await store.close()
        conn = sqlite3.connect(path)
        for name in LATE_INDEXES:
            conn.execute(f"DROP INDEX {name}")
        conn.close()
        store = SQLiteStore(path)
        await store.open()
        count, seconds = await load(store, produced(1, args.hits, args.days, last_day), BULK_BATCH)
        print(
            f"  {count:,} hits in {seconds:,.0f} s ({count / seconds:,.0f} hits/s, "
            "visits and rollups included)"
        )
        started = time.perf_counter()
        conn = sqlite3.connect(path)
        for statement in LATE_INDEXES.values():
            conn.execute(statement)
        conn.close()
        print(f"  indexes built after the load: {time.perf_counter() - started:,.0f} s")
    else:
        print(f"Reusing {path} ({existing.visits:,} visits)")
        conn = sqlite3.connect(path)
        last = conn.execute("SELECT MAX(day) FROM visits").fetchone()[0]
        conn.close()
        last_day = date.fromisoformat(last)
    sizes(path)
    await measure(store, last_day, args.runs)
    await store.close()
    if args.ingest_sample:
        await ingest_cost(args.ingest_sample, min(args.days, 30), last_day)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
