"""What the reports count: which hits are actions, and every dimension a breakdown can use.

The numbers behind every metric (see ``docs/reports.md`` for the prose):

- A **visit** is one visitor's hits with gaps under the site's visit timeout
  (``privacy.visit_timeout_minutes``, default 30): a gap of exactly the timeout or more starts a
  new visit. Every hit kind, pings included, extends a visit. A hit without a visitor id (the
  anonymous mode, or a tracker that sends no ``_id``) is a visit of its own, by a visitor of its
  own.
- A visit **belongs to the day and hour (UTC) of its first hit**, with everything in it: a visit
  from 23:50 to 00:10 counts once, on the first day, with all its page views and events.
- An **action** is a page view, event, download, outlink or site search. Pings (heartbeats),
  content impressions and goal conversions are hits but not actions.
- A **bounce** is a visit with exactly one action. **Duration** is the time from the first to the
  last hit of the visit, pings included, in whole seconds.
- **Visitors** in a summary or a time-series bucket are exact distinct visitors with a visit in
  it. In a breakdown row over several days they are the sum of each day's distinct visitors
  (Matomo's ``sum_daily_nb_uniq_visitors``); for one day both are the same.
- A **returning visitor** has at least one visit in the period that is not their first visit
  ever recorded here.

Dimension codes are stored in the rollup tables: never renumber one, only add.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

# Hit kinds that are actions (Matomo's nb_actions, plus events and site searches).
ACTION_KINDS: Final = frozenset({"pageview", "event", "download", "outlink", "search"})

TOTAL: Final = 0  # the rollup code of the site-wide totals row (its value id is 0 too)

Level = Literal["visit", "hit"]


@dataclass(frozen=True)
class Dimension:
    """One breakdown.

    ``level`` "visit": every visit has exactly one value (from its first hit, its first or last
    page view, or its referrer), and rows carry visit metrics (visits, page views, bounces,
    duration). ``level`` "hit": a visit has as many values as it has such hits, and rows count
    hits (``hits``) and the visits and visitors that had them.
    ``filter`` is the name used in ``?filter=name:value``; ``column`` is the visits column a
    visit-level value is read from.
    """

    name: str
    code: int
    level: Level
    filter: str
    title: str
    column: str | None = None
    referrer_type: str | None = None  # for the per-type referrer breakdowns


DIMENSIONS: Final[tuple[Dimension, ...]] = (
    Dimension("entry_pages", 1, "visit", "entry_page", "Entry pages", "entry_page"),
    Dimension("exit_pages", 2, "visit", "exit_page", "Exit pages", "exit_page"),
    Dimension("referrer_types", 3, "visit", "referrer_type", "Channel types", "referrer_type"),
    Dimension("campaigns", 4, "visit", "campaign", "Campaigns", "referrer_name", "campaign"),
    Dimension(
        "search_engines", 5, "visit", "search_engine", "Search engines", "referrer_name", "search"
    ),
    Dimension(
        "social_networks",
        6,
        "visit",
        "social_network",
        "Social networks",
        "referrer_name",
        "social",
    ),
    Dimension("websites", 7, "visit", "website", "Websites", "referrer_name", "website"),
    Dimension("countries", 8, "visit", "country", "Countries", "country"),
    Dimension("browsers", 9, "visit", "browser", "Browsers", "browser"),
    Dimension("os", 10, "visit", "os", "Operating systems", "os"),
    Dimension("devices", 11, "visit", "device", "Device types", "device"),
    Dimension("resolutions", 12, "visit", "resolution", "Screen resolutions", "resolution"),
    Dimension("languages", 13, "visit", "language", "Languages", "language"),
    Dimension("pages", 20, "hit", "page", "Pages"),
    Dimension("page_titles", 21, "hit", "page_title", "Page titles"),
    Dimension("events", 22, "hit", "event", "Events"),
    Dimension("event_categories", 23, "hit", "event_category", "Event categories"),
    Dimension("event_actions", 24, "hit", "event_action", "Event actions"),
    Dimension("event_names", 25, "hit", "event_name", "Event names"),
    Dimension("outlinks", 26, "hit", "outlink", "Outlinks"),
    Dimension("downloads", 27, "hit", "download", "Downloads"),
    Dimension("searches", 28, "hit", "search", "Site searches"),
)

BY_NAME: Final[Mapping[str, Dimension]] = {d.name: d for d in DIMENSIONS}
BY_CODE: Final[Mapping[int, Dimension]] = {d.code: d for d in DIMENSIONS}
BY_FILTER: Final[Mapping[str, Dimension]] = {d.filter: d for d in DIMENSIONS}

# ``referrers`` is a view over the per-type referrer dimensions plus the direct entries.
REFERRER_TYPES: Final = ("direct", "search", "social", "website", "campaign")
REFERRERS: Final = "referrers"
REFERRER_DIMENSIONS: Final = ("campaigns", "search_engines", "social_networks", "websites")
# ``filter=referrer:NAME`` matches the referrer name whatever its type.
REFERRER_FILTER: Final = "referrer"

# Event rows keep category, action and name apart inside one stored value.
EVENT_SEPARATOR: Final = "\x1f"

VISIT_DIMENSIONS: Final = tuple(d for d in DIMENSIONS if d.level == "visit")

# Filters answered from rollups: for each value of these visit-level dimensions, every other
# dimension's daily rows are kept once more, restricted to the visits with that value (a
# "context"), so ``?filter=country:FI`` reads a few rows per day instead of the visits. Each
# context dimension adds about twice the base daily rows (measured: 2.3x for countries), so
# the list is short. Changing it is safe: the store fills in or drops rows when it opens.
CONTEXT_FILTERS: Final = ("country",)
CONTEXT_DIMENSIONS: Final = tuple(d for d in VISIT_DIMENSIONS if d.filter in CONTEXT_FILTERS)
CONTEXT_SHIFT: Final = 64  # above every dimension code


def context_code(value_id: int, code: int) -> int:
    """The rollup ``dim`` of dimension ``code``'s rows within the visits whose context
    dimension has value ``value_id`` (a ``dim_values`` id, unique across dimensions).
    Negative, so it never meets a dimension code."""
    return -(value_id * CONTEXT_SHIFT + code)


def context_of(dim: int) -> tuple[int, int]:
    """(context value id, dimension code) of a ``context_code``."""
    return divmod(-dim, CONTEXT_SHIFT)


def dimension_names() -> tuple[str, ...]:
    """Every name ``/stats/{dimension}`` accepts, in catalogue order."""
    return (*(d.name for d in DIMENSIONS), REFERRERS)


def filter_names() -> tuple[str, ...]:
    return (*(d.filter for d in DIMENSIONS), REFERRER_FILTER)
