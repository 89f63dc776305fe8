"""Referrals: members' codes, who brought whom, the referrer's reward, ambassador value."""
