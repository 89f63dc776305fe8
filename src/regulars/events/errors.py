"""Why an RSVP, a guest pass or a check-in is refused: each a stable slug (the reason code)."""

from __future__ import annotations

from regulars.kit.errors import Conflict


class NotInvited(Conflict):
    slug, title = "not-invited", "This customer is not invited to this event"


class EventFull(Conflict):
    slug, title = "event-full", "No seats left at this event"


class EventStarted(Conflict):
    slug, title = "event-started", "This event has started: RSVPs are closed"


class AlreadyReplied(Conflict):
    slug, title = "already-replied", "This customer already has a place at this event"


class TooManyGuests(Conflict):
    slug, title = "too-many-guests", "More guests than this event allows"


class NoGuestPassLeft(Conflict):
    slug, title = "no-guest-pass-left", "Every guest of this RSVP already has a pass"


class AlreadyMember(Conflict):
    slug, title = "already-member", "Already a member of this club"
