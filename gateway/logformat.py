"""Log output for people (``text``, the default) or for log collectors (``json``).

With ``json`` every line on stderr is one JSON object - ``ts`` (UTC, milliseconds), ``level``,
``logger``, ``message`` and, for errors, ``exception`` - for the gateway's own loggers and
uvicorn's alike, so a collector never has to parse free text. What is logged does not change:
no log line carries an untruncated IP address, a token or a query string (uvicorn's access log
stays off; ``--access-log`` writes method, path and status).
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(fmt: LogFormat) -> dict[str, Any]:
    """Set up the root logger for ``fmt``; return the matching uvicorn ``log_config``."""
    formatter: dict[str, Any] = (
        {"()": "gateway.logformat.JsonFormatter"} if fmt == "json" else {"format": TEXT_FORMAT}
    )
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"gateway": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "gateway",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": "INFO"},
        # uvicorn's loggers write through the root handler, in the same format.
        "loggers": {
            "uvicorn": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.error": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }
    logging.config.dictConfig(config)
    return config
