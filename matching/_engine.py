"""The engine seam: the one place that builds Splink's database API.

Callers name an engine ("duckdb" by default, "spark" later) in the matching settings;
nothing else in the library knows which backend runs the SQL. DuckDB runs in-process,
in memory unless a connection is given.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from splink.internals.database_api import DatabaseAPI


class EngineUnavailableError(RuntimeError):
    """The configured matching engine cannot be used in this installation."""


def make_db_api(engine: str = "duckdb", connection: Any = None) -> DatabaseAPI:
    """A fresh Splink DB API for `engine`.

    duckdb: `connection` may be None (new in-memory database), a path, or a
    `duckdb.DuckDBPyConnection`. spark: `connection` is a SparkSession (required).
    """
    if engine == "duckdb":
        from splink.internals.duckdb.database_api import DuckDBAPI

        return DuckDBAPI(":memory:" if connection is None else connection)
    if engine == "spark":
        if importlib.util.find_spec("pyspark") is None:
            raise EngineUnavailableError(
                "matching engine 'spark' needs pyspark, which is not installed "
                "(pip install 'splink[spark]'); or set engine = \"duckdb\"")
        if connection is None:
            raise EngineUnavailableError("matching engine 'spark' needs a SparkSession")
        from splink.internals.spark.database_api import SparkAPI

        return SparkAPI(spark_session=connection)
    raise EngineUnavailableError(f"unknown matching engine {engine!r} (use 'duckdb' or 'spark')")
