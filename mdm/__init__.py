"""MDM hub: ingest, match, master and publish customer, legal-entity and project records."""

__version__ = "0.1.0"
