"""The document policy of a graph process, apart from HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from mychangsha.persisted import persisted_queries
from mychangsha.schema import build_schema
from mychangsha.settings import Settings
from mychangsha.trusted import ManifestError


def test_trusted_only_refuses_to_start_without_documents(tmp_path: Path) -> None:
    settings = Settings(trusted_documents_only=True, trusted_documents_dir=tmp_path)
    with pytest.raises(ManifestError):
        persisted_queries(settings, build_schema()._schema)


def test_trusted_only_is_the_production_default() -> None:
    assert Settings(environment="production").trusted_only
    assert not Settings(environment="development").trusted_only
    assert not Settings(environment="production", trusted_documents_only=False).trusted_only
