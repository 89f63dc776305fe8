"""Server-rendered pages: staff dashboard, the POS screen and the customer portal."""

from __future__ import annotations

from fastapi import APIRouter

from regulars.web import i18n
from regulars.web.portal import events as portal_events
from regulars.web.portal import feedback as portal_feedback
from regulars.web.portal import pages as portal
from regulars.web.portal import plans as portal_plans
from regulars.web.portal import referrals as portal_referrals
from regulars.web.staff import aftercare as service_pages
from regulars.web.staff import automations as automation_pages
from regulars.web.staff import coupons as coupon_pages
from regulars.web.staff import customer_data, customer_edit, customer_merge, dashboard, imports
from regulars.web.staff import customers as staff
from regulars.web.staff import events as event_pages
from regulars.web.staff import feedback as feedback_pages
from regulars.web.staff import history as staff_history
from regulars.web.staff import loyalty as loyalty_pages
from regulars.web.staff import plans as plan_pages
from regulars.web.staff import referrals as referral_pages
from regulars.web.till import plans as till_plans
from regulars.web.till import pos

router = APIRouter(include_in_schema=False)
# /customers/import must be matched before /customers/{customer_id}.
router.include_router(imports.router)
router.include_router(staff.router)
router.include_router(dashboard.router)
router.include_router(customer_edit.router)
router.include_router(customer_data.router)
router.include_router(customer_merge.router)
router.include_router(staff_history.router)
router.include_router(loyalty_pages.router)
router.include_router(coupon_pages.router)
router.include_router(till_plans.router)
router.include_router(pos.pages)
router.include_router(pos.api)
router.include_router(portal.router)
router.include_router(referral_pages.router)
router.include_router(portal_referrals.router)
router.include_router(event_pages.router)
router.include_router(automation_pages.router)
router.include_router(portal_events.router)
router.include_router(feedback_pages.router)
router.include_router(service_pages.router)
router.include_router(portal_feedback.router)
router.include_router(plan_pages.router)
router.include_router(portal_plans.router)

i18n.load_all()
