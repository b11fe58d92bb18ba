"""The access audit: who read, exported or erased personal data, when, and with what result.

``actions`` decides, as a table, which requests are audited and what they are called;
``actors`` names the credential behind a request without ever keeping the credential;
``middleware`` records one ``audit_log`` row per audited request once its status is known;
``routes`` serves the log to the admin token and to each site's own token.
"""
