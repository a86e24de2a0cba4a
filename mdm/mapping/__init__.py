"""Mapping of raw source rows to canonical attributes: steps, type normalisers, row mapper."""

from mdm.mapping._mapper import MappedRows, RowMapper, content_hash
from mdm.mapping._phones import to_phone
from mdm.mapping._steps import STEPS
from mdm.mapping._values import (
    InvalidValue,
    to_country,
    to_domain,
    to_lei,
    to_tax_id,
)

__all__ = [
    "STEPS",
    "InvalidValue",
    "MappedRows",
    "RowMapper",
    "content_hash",
    "to_country",
    "to_domain",
    "to_lei",
    "to_phone",
    "to_tax_id",
]
