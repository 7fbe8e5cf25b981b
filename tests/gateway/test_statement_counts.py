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
    await run(session, "{ banks { code } }")  # opens the test's savepoint before counting
    counts = []
    for first in (10, 100):
        with count_statements.fresh() as counter:
            data = await run(session, DEEP, {"first": first})
        assert len(data["customers"]["edges"]) == first
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    # One statement per relation in the query (26), plus the count and the page.
    assert counts[0] <= 28, counts
