"""The site owner's dashboard and its shared read-only copy (``docs/dashboard.md``).

``session`` signs sessions, CSRF values and shared links; ``charts`` draws SVG; ``view`` turns
report data into what the page shows; ``routes`` speaks HTTP. All but ``routes`` are pure.
"""
