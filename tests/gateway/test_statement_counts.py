"""Loaders batch every relation: the statement count does not grow with the page size."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import StatementCounter
from tests.gateway.helpers import run

DEEP = """
query Deep($first: Int!) {
  customers(first: $first) {
    totalCount
    edges { node {
      name addresses { city } contacts { name } extraFields { name value }
      receivables { amount }
      plans {
        status offer { name allowedServiceKinds defaultTvPackage { name } }
        contract { number template { name } }
        installationAddress { city } billingAddress { city }
        services {
          kind
          ... on EmailAlias { email { address } }
          ... on IpAddress { pool { name } }
          ... on ExtraService { definition { name } contact { name } }
        }
        tvPackages { package { name channels { name number family } } }
        tvPoints { location { name } equipment { casn } history { event } }
        receivables { amount }
      }
    } }
  }
}
"""


async def test_statement_count_is_independent_of_page_size(
    session: AsyncSession, count_statements: StatementCounter
) -> None:
    counts = []
    for first in (10, 100):
        with count_statements.fresh() as counter:
            data = await run(session, DEEP, {"first": first})
        assert len(data["customers"]["edges"]) == first
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    # One statement per relation level, plus the count and the page: a fixed, small number.
    assert counts[0] <= 25, counts
