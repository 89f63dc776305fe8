from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from regulars.kit.schemas import Schema


class ShareOut(Schema):
    code: str = Field(description="What the friend types or the link carries")
    link: str = Field(description="The portal's join page with the code")
    share_text: str = Field(description="Ready to send, in the member's language")


class ReferralOut(ShareOut):
    customer_id: uuid.UUID
    family: ShareOut | None = Field(
        description="A friends-and-family code, for members of the tiers the program names"
    )
    friend_points: int = Field(description="Welcome points a friend gets on joining")
    family_points: int = Field(description="Welcome points with the friends-and-family code")
    referrer_points: int = Field(description="Points the member earns per friend's first buy")
    referred_by: uuid.UUID | None = Field(description="The member who brought this customer")
    friends: int = Field(description="Friends this member brought")


class ReferredByIn(Schema):
    code: str = Field(min_length=1, max_length=40, description="The referring member's code")


class ReferredOut(Schema):
    id: uuid.UUID
    referrer_id: uuid.UUID
    friend_id: uuid.UUID
    status: str = Field(description="pending | rewarded | reversed")
    created_at: datetime


class AmbassadorOut(Schema):
    rank: int
    customer_id: uuid.UUID
    name: str | None
    member_code: str | None
    own_spend: int = Field(description="Minor units paid, refunds taken off")
    friends_spend: int = Field(description="Spend of the friends they brought")
    second_degree_spend: int = Field(description="Spend of the friends those friends brought")
    referrals: int = Field(description="Friends brought")
    converted: int = Field(description="Friends whose first purchase rewarded them")
    value: int = Field(description="own + friends + second degree")


class LeaderboardOut(Schema):
    currency: str
    data: list[AmbassadorOut]
