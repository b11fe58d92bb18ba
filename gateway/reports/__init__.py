"""Reports: visits, rollups and the queries the stats API, the Matomo API and dashboards read.

``sessions`` and ``rollups`` decide (pure functions); ``gateway.storage`` keeps the results in the
same transaction as the hits; ``queries`` answers questions from them; ``routes`` and
``matomo_api`` speak HTTP. ``docs/reports.md`` is the reference for every metric.
"""
