"""The engine seam: the one place that builds Splink's database API.

Callers name an engine ("duckdb" by default, "spark" later) in the matching settings;
nothing else in the library knows which backend runs the SQL. DuckDB runs in-process,
in memory unless a connection is given.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path
from typing import Any

from splink.internals.database_api import DatabaseAPI


class EngineUnavailableError(RuntimeError):
    """The configured matching engine cannot be used in this installation."""


DEFAULT_DUCKDB_MEMORY_LIMIT = "2GB"


def duckdb_connection() -> Any:
    """A new in-memory DuckDB database for one training or prediction.

    Its memory is capped (MATCHING_DUCKDB_MEMORY_LIMIT, default 2GB; DuckDB's own default
    is 80% of the machine) so that what DuckDB caches leaves room for the records held in
    Python; beyond the cap, DuckDB spills to a temporary directory of the system's.
    """
    import duckdb

    limit = os.environ.get("MATCHING_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT)
    connection = duckdb.connect(":memory:")
    if limit:
        connection.execute("SET memory_limit = ?", [limit])
        spill = Path(tempfile.gettempdir()) / "mdm-duckdb"
        connection.execute("SET temp_directory = ?", [str(spill)])
    return connection


def make_db_api(engine: str = "duckdb", connection: Any = None) -> DatabaseAPI:
    """A fresh Splink DB API for `engine`.

    duckdb: `connection` may be None (new in-memory database), a path, or a
    `duckdb.DuckDBPyConnection`. spark: `connection` is a SparkSession (required).
    """
    if engine == "duckdb":
        from splink.internals.duckdb.database_api import DuckDBAPI

        if connection is None:
            connection = duckdb_connection()
        return DuckDBAPI(connection)
    if engine == "spark":
        if importlib.util.find_spec("pyspark") is None:
            raise EngineUnavailableError(
                "matching engine 'spark' needs pyspark, which is not installed "
                "(pip install 'splink[spark]'); or set engine = \"duckdb\""
            )
        if connection is None:
            raise EngineUnavailableError("matching engine 'spark' needs a SparkSession")
        from splink.internals.spark.database_api import SparkAPI

        return SparkAPI(spark_session=connection)
    raise EngineUnavailableError(f"unknown matching engine {engine!r} (use 'duckdb' or 'spark')")
