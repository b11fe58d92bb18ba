"""gateway: consent banner, proof of consent and consent-gated Matomo analytics."""

__version__ = "0.1.0"
