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
    # 2: reports - visits assigned at ingest, rollups kept in the same transaction, consent
    # decisions per day. Hits stored before this step get their visits when the store opens.
    # rollup_weeks and rollup_months hold the same rows as rollup_days summed per ISO week
    # (``day`` = its Monday) and per month (``day`` = its first day).
    (
        "ALTER TABLE hits ADD COLUMN visit_id INTEGER",
        """
        CREATE TABLE dim_values (
            id INTEGER PRIMARY KEY,
            dim INTEGER NOT NULL,
            value TEXT NOT NULL,
            UNIQUE (dim, value)
        )
        """,
        """
        CREATE TABLE visits (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL,
            visitor TEXT,
            day TEXT NOT NULL,
            hour INTEGER NOT NULL,
            start_us INTEGER NOT NULL,
            start_hit INTEGER NOT NULL,
            end_us INTEGER NOT NULL,
            end_hit INTEGER NOT NULL,
            hits INTEGER NOT NULL,
            actions INTEGER NOT NULL,
            pageviews INTEGER NOT NULL,
            bounce INTEGER NOT NULL,
            duration INTEGER NOT NULL,
            is_returning INTEGER NOT NULL,
            entry_us INTEGER,
            entry_hit INTEGER,
            entry_page TEXT,
            exit_us INTEGER,
            exit_hit INTEGER,
            exit_page TEXT,
            referrer_type TEXT NOT NULL,
            referrer_name TEXT NOT NULL,
            country TEXT NOT NULL,
            browser TEXT NOT NULL,
            os TEXT NOT NULL,
            device TEXT NOT NULL,
            resolution TEXT NOT NULL,
            language TEXT NOT NULL,
            keys TEXT NOT NULL,
            vals TEXT NOT NULL
        )
        """,
        "CREATE INDEX visits_site_day ON visits (site, day)",
        "CREATE INDEX visits_visitor ON visits (site, visitor, end_us) WHERE visitor IS NOT NULL",
        """
        CREATE TABLE rollup_days (
            site TEXT NOT NULL,
            dim INTEGER NOT NULL,
            day TEXT NOT NULL,
            value INTEGER NOT NULL,
            visitors INTEGER NOT NULL,
            visits INTEGER NOT NULL,
            pageviews INTEGER NOT NULL,
            actions INTEGER NOT NULL,
            bounces INTEGER NOT NULL,
            duration INTEGER NOT NULL,
            hits INTEGER NOT NULL,
            value_sum INTEGER NOT NULL,
            value_n INTEGER NOT NULL,
            PRIMARY KEY (site, dim, day, value)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE rollup_weeks (
            site TEXT NOT NULL,
            dim INTEGER NOT NULL,
            day TEXT NOT NULL,
            value INTEGER NOT NULL,
            visitors INTEGER NOT NULL,
            visits INTEGER NOT NULL,
            pageviews INTEGER NOT NULL,
            actions INTEGER NOT NULL,
            bounces INTEGER NOT NULL,
            duration INTEGER NOT NULL,
            hits INTEGER NOT NULL,
            value_sum INTEGER NOT NULL,
            value_n INTEGER NOT NULL,
            PRIMARY KEY (site, dim, day, value)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE rollup_months (
            site TEXT NOT NULL,
            dim INTEGER NOT NULL,
            day TEXT NOT NULL,
            value INTEGER NOT NULL,
            visitors INTEGER NOT NULL,
            visits INTEGER NOT NULL,
            pageviews INTEGER NOT NULL,
            actions INTEGER NOT NULL,
            bounces INTEGER NOT NULL,
            duration INTEGER NOT NULL,
            hits INTEGER NOT NULL,
            value_sum INTEGER NOT NULL,
            value_n INTEGER NOT NULL,
            PRIMARY KEY (site, dim, day, value)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE rollup_hours (
            site TEXT NOT NULL,
            hour INTEGER NOT NULL,
            visitors INTEGER NOT NULL,
            visits INTEGER NOT NULL,
            pageviews INTEGER NOT NULL,
            actions INTEGER NOT NULL,
            bounces INTEGER NOT NULL,
            duration INTEGER NOT NULL,
            PRIMARY KEY (site, hour)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE visitor_days (
            site TEXT NOT NULL,
            day TEXT NOT NULL,
            prev_day TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (site, day, prev_day)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE visitor_firsts (
            site TEXT NOT NULL,
            first_day TEXT NOT NULL,
            second_day TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (site, first_day, second_day)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE consent_days (
            site TEXT NOT NULL,
            day TEXT NOT NULL,
            action TEXT NOT NULL,
            source TEXT NOT NULL,
            lang TEXT NOT NULL,
            policy_version TEXT NOT NULL,
            granted TEXT NOT NULL,
            denied TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (site, day, action, source, lang, policy_version, granted, denied)
        ) WITHOUT ROWID
        """,
        """
        INSERT INTO consent_days
        SELECT site, substr(ts, 1, 10), action, source, lang, policy_version, granted, denied,
               COUNT(*)
        FROM consents
        GROUP BY site, substr(ts, 1, 10), action, source, lang, policy_version, granted, denied
        """,
    ),
    (
        # Every policy version the gateway has served, so a consent record's policy_hash
        # always leads back to the exact texts the visitor saw.
        """
        CREATE TABLE policy_versions (
            site TEXT NOT NULL,
            hash TEXT NOT NULL,
            version TEXT NOT NULL,
            first_served TEXT NOT NULL,
            snapshot TEXT NOT NULL,
            PRIMARY KEY (site, hash)
        )
        """,
        # Who read, exported or deleted personal data: token, what, when, result.
        """
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ts TEXT NOT NULL,
            site TEXT,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT,
            status INTEGER NOT NULL,
            detail TEXT
        )
        """,
        "CREATE INDEX audit_log_site_ts ON audit_log (site, ts)",
        "CREATE INDEX audit_log_ts ON audit_log (ts)",
        "CREATE INDEX consents_site_ts ON consents (site, ts)",
        "CREATE INDEX hits_user ON hits (site, user_id) WHERE user_id IS NOT NULL",
    ),
    (
        # 4: retention. When the oldest consent records of a site are purged, the site_seq and
        # hash of the last one purged stay here: the chain verifies (and grows) from it.
        """
        CREATE TABLE consent_anchors (
            site TEXT PRIMARY KEY,
            site_seq INTEGER NOT NULL,
            hash TEXT NOT NULL,
            purged_at TEXT NOT NULL
        )
        """,
        # Whether an old record is still somebody's current consent: was it superseded?
        "CREATE INDEX consents_superseded ON consents (supersedes) WHERE supersedes IS NOT NULL",
    ),
    (
        # 5: filters answered from rollups. rollup_days also holds each dimension's daily rows
        # within the visits of one value of a context dimension (negative dim codes, see
        # gateway.reports.definitions.context_code). A context dimension is listed here once
        # its rows cover every stored visit; the store fills them in when it opens.
        """
        CREATE TABLE rollup_contexts (
            dim INTEGER PRIMARY KEY,
            complete_since TEXT NOT NULL
        )
        """,
    ),
    (
        # 6: forwarding outbox. A consented hit's upstream request, written in the hit's own
        # transaction and deleted once Matomo has it (gateway.forwarding). next_attempt_at is
        # unix seconds: a retry time after a failure, or a lease while a post is in flight.
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            site TEXT NOT NULL,
            visitor TEXT,
            consent_id TEXT,
            created TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL DEFAULT 0,
            params TEXT NOT NULL,
            last_error TEXT,
            parked INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX outbox_visitor ON outbox (site, visitor, id) WHERE visitor IS NOT NULL",
        "CREATE INDEX outbox_consent ON outbox (consent_id)",
    ),
)
