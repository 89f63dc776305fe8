"""`regulars codes generate` makes the codes with a progress bar and says how many."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from regulars.cli import app as cli
from regulars.db import Database
from regulars.offers import service as offers
from regulars.offers.models import CouponCode
from regulars.offers.schemas import CampaignCreate
from tests.factories import make_merchant
from tests.merchants.test_cli import cli_env  # noqa: F401  (the fixture)


def test_codes_generate_makes_the_codes_of_a_campaign(
    db: Database,
    cli_env: dict[str, str],  # noqa: F811
) -> None:
    shop = make_merchant(db)
    data = CampaignCreate(name="Flyers", kind="amount_off", value=500)
    made = db.run(lambda s: offers.create_campaign(s, shop.ctx, data))
    args = ["codes", "generate", "--merchant", shop.ctx.merchant.slug, "--campaign", str(made.id)]
    result = CliRunner().invoke(cli, [*args, "--count", "1200"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "campaign_id": str(made.id),
        "codes": 1200,
    }
    q = select(func.count(func.distinct(CouponCode.code))).where(CouponCode.campaign_id == made.id)
    assert db.run(lambda s: s.scalar(q), write=False) == 1200
    other = make_merchant(db, name="Other")
    wrong = ["codes", "generate", "--merchant", other.ctx.merchant.slug, "--campaign", str(made.id)]
    refused = CliRunner().invoke(cli, [*wrong, "--count", "5"], env=cli_env)
    assert refused.exit_code == 1
    assert "coupon campaign not found" in refused.stderr
    assert (
        db.run(lambda s: s.scalar(select(func.count()).select_from(CouponCode)), write=False)
        == 1200
    )
