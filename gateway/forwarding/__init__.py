"""Forwarding consented, anonymised hits to an upstream Matomo through a durable outbox."""
