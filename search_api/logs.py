"""Server logs: text (as uvicorn writes them) or JSON lines (`CONFSEARCH_LOG_FORMAT=json`).

In JSON every record is one object a line: time (UTC), level, logger, message, the request
id while a request is being answered, any `extra` fields, and the traceback as `exc`. The
access line of each request (search_api/access.py) carries method, path, route, status,
duration_ms and client; uvicorn's own access log is then off. The standard library does it
all: a formatter of a few lines, no logging package.
"""

from __future__ import annotations

import copy
import json
import logging
import logging.config
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from search_api.settings import Settings

# The request being answered (search_api/access.py sets it); records logged meanwhile, in
# the handler's thread too, carry it.
request_id: ContextVar[str | None] = ContextVar("confsearch_request_id", default=None)
_SANE_ID = re.compile(r"[!-~]{1,128}")  # printable ASCII, no space, at most 128 characters
# What every LogRecord has; anything else on a record came as `extra` and is written out.
_STANDARD = {*vars(logging.LogRecord("", 0, "", 0, "", None, None)), "message", "asctime",
             "taskName", "color_message"}  # fmt: skip
TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"


def sane_request_id(sent: str | None) -> str:
    """The client's X-Request-ID when it is a plain token, else a new one (uuid4, hex)."""
    if sent is not None and _SANE_ID.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        out = {
            "time": stamp.replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = request_id.get()
        if current is not None:
            out["request_id"] = current
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def logging_config(log_format: str) -> dict:
    """A `logging.config.dictConfig` configuration for the server and uvicorn (which applies
    it again in each worker process)."""
    if log_format == "json":
        return {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"json": {"()": "search_api.logs.JsonFormatter"}},
            "handlers": {"stderr": _stderr("json")},
            "root": {"handlers": ["stderr"], "level": "INFO"},
            "loggers": {
                "uvicorn": {"handlers": [], "level": "INFO", "propagate": True},
                "uvicorn.error": {"level": "INFO", "propagate": True},
                # search_api/access.py writes the access lines, with the request id
                "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            },
        }
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)  # uvicorn's lines as always, the app's as before
    config["formatters"]["plain"] = {"format": TEXT_FORMAT}
    config["handlers"]["plain"] = _stderr("plain")
    config["root"] = {"handlers": ["plain"], "level": "INFO"}
    return config


def _stderr(formatter: str) -> dict:
    return {"class": "logging.StreamHandler", "formatter": formatter, "stream": "ext://sys.stderr"}


def configure_logging(settings: Settings) -> dict:
    """Logging as CONFSEARCH_LOG_FORMAT says, now; the configuration, for uvicorn's
    `log_config`."""
    config = logging_config(settings.log_format)
    logging.config.dictConfig(config)
    return config
