"""The search index of the small test corpus, built once."""

from __future__ import annotations

import pytest

from knowledge.search import SearchIndex
from tests.search.corpus import DOCUMENTS


@pytest.fixture(scope="session")
def index() -> SearchIndex:
    return SearchIndex.build(DOCUMENTS)
