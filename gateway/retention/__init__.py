"""Retention: raw data is kept only as long as each site's policy says.

``cutoffs`` decides, purely, what is old enough to go (per site and kind, from the policy and
"now"); ``visits`` decides how a visitor's history is cut without disturbing report rollups;
``ledger`` decides how much of a consent chain may go; ``purge`` runs the decisions through the
``Store``; ``daily`` repeats that inside ``gateway serve``.
"""
