"""Versioned schema migrations. Append new steps; never edit a released one.

Each step is a list of statements run in one transaction; ``schema_version`` records how far a
database has come, so every instance and every restart converges on the same schema.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE consents (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            site TEXT NOT NULL,
            site_seq INTEGER NOT NULL,
            consent_id TEXT NOT NULL UNIQUE,
            ts TEXT NOT NULL,
            action TEXT NOT NULL,
            policy_version TEXT NOT NULL,
            policy_hash TEXT NOT NULL,
            granted TEXT NOT NULL,
            denied TEXT NOT NULL,
            lang TEXT NOT NULL,
            supersedes TEXT,
            expires_at TEXT,
            ip TEXT,
            ua_family TEXT,
            pii_salt TEXT,
            pii_digest TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            services TEXT NOT NULL DEFAULT '[]',
            source TEXT NOT NULL DEFAULT 'banner',
            UNIQUE (site, site_seq)
        )
        """,
        "CREATE INDEX consents_supersedes ON consents (seq) WHERE supersedes IS NOT NULL",
        """
        CREATE TABLE hits (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ts TEXT NOT NULL,
            site TEXT NOT NULL,
            idsite INTEGER NOT NULL,
            mode TEXT NOT NULL,
            kind TEXT NOT NULL,
            visitor_id TEXT,
            user_id TEXT,
            consent_id TEXT,
            url TEXT,
            action_name TEXT,
            pv_id TEXT,
            referrer TEXT,
            referrer_host TEXT,
            campaign_name TEXT,
            campaign_keyword TEXT,
            event_category TEXT,
            event_action TEXT,
            event_name TEXT,
            event_value REAL,
            search TEXT,
            search_category TEXT,
            search_count INTEGER,
            goal_id INTEGER,
            revenue REAL,
            link TEXT,
            content_name TEXT,
            content_piece TEXT,
            content_target TEXT,
            resolution TEXT,
            lang TEXT,
            country TEXT,
            browser TEXT,
            browser_version TEXT,
            os TEXT,
            device TEXT,
            ip TEXT,
            dimensions TEXT,
            new_visit INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX hits_site_ts ON hits (site, ts)",
        "CREATE INDEX hits_visitor ON hits (site, visitor_id)",
        "CREATE INDEX hits_consent ON hits (consent_id)",
    ),
)
