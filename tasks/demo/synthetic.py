"""Deterministic synthetic helpdesk exports in the canonical format (SPEC 3.1).

Used by ``backlog demo``, the tests and the benchmarks. A seeded simulation of a support
team (inflow with weekly seasonality, agents with limited capacity, customers who take
their time) writes one folder per day, ``<root>/<YYYY-MM-DD>/tickets.<fmt>`` and
``events.<fmt>``, and returns the truth the exports were made from, so tests can check
what the pipeline rebuilds.

The export of day D is taken at the end of D in ``cfg.timezone``: ``tickets`` holds every
ticket created or updated in D as it stood then (the first export also holds every ticket
still unsolved from the 30 days before ``start``: the carried-over backlog); ``events``
holds what happened in D.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

__all__ = ["GeneratedHistory", "SyntheticConfig", "generate_exports"]

DAY = 86_400
HOUR = 3_600
WARMUP_DAYS = 30
CLOSE_AFTER = 4 * DAY
AUTOSOLVE_AFTER = 7 * DAY
STALE_AFTER = 5 * DAY
FIRST_TICKET_NUMBER = 1_000_001
FIRST_EVENT_NUMBER = 50_000_001
MAX_ROUNDS = 400
CHUNK_ROWS = 400_000  # rows per batch of frame building when writing

STATUSES = ("new", "open", "pending", "hold", "solved", "closed", "deleted")
NEW, OPEN, PENDING, HOLD, SOLVED, CLOSED, DELETED = range(7)
UNSOLVED = (NEW, OPEN, PENDING, HOLD)
KINDS = ("status_change", "comment", "priority_change", "assignment", "tag_change")
K_STATUS, K_COMMENT, K_PRIORITY, K_ASSIGN, K_TAG, K_RATING = range(6)  # rating: not exported
ROLES = ("end_user", "agent", "system")
R_USER, R_AGENT, R_SYSTEM = range(3)
A_REQUESTER, A_SYSTEM, A_BOT = -1, -2, -3
PRIORITIES = ("low", "normal", "high", "urgent")
TIERS = ("enterprise", "business", "pro", "free")
TYPES = ("question", "incident", "problem", "task")
CHANNELS = ("email", "web", "chat", "phone", "api")
CH_EMAIL, CH_WEB, CH_CHAT, CH_PHONE, CH_API = range(5)
SATISFACTION = ("bad", "good", "offered", "unoffered")
DRIVERS = ("billing", "login", "bug", "how-to", "feature-request", "refund", "shipping")
DRIVER_WEIGHTS = (0.19, 0.16, 0.17, 0.19, 0.08, 0.10, 0.11)
GROUPS = ("Billing", "Accounts", "Technical", "Tier 1", "Product", "Billing", "Logistics")
GENERIC_TAGS = ("vip", "mobile", "integration")
ADDED_TAGS = ("escalated", "known-issue", "needs-info")
PRODUCTS = (
    "iOS app",
    "Android app",
    "web dashboard",
    "desktop app",
    "browser extension",
    "admin console",
)
TEST_CARDS = (
    "4111 1111 1111 1111",
    "5500 0055 5555 5559",
    "4012 8888 8888 1881",
    "3782 822463 10005",
)
# weekday factors, Monday first: "mean weekday inflow" is tickets_per_day
WEEKDAY_FACTOR = (1.18, 1.06, 1.0, 0.96, 0.80, 0.30, 0.24)
HOURLY_WEEKDAY = (1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 9, 10, 11, 10, 9, 7, 5, 4, 3, 3, 2, 1)
HOURLY_WEEKEND = (2, 2, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 7, 7, 6, 6, 6, 5, 5, 5, 4, 4, 3, 2)
# per driver: type mix (question, incident, problem, task)
TYPE_MIX = (
    (0.70, 0.20, 0.05, 0.05),
    (0.40, 0.50, 0.05, 0.05),
    (0.10, 0.55, 0.30, 0.05),
    (0.90, 0.05, 0.00, 0.05),
    (0.30, 0.00, 0.00, 0.70),
    (0.40, 0.20, 0.00, 0.40),
    (0.50, 0.35, 0.05, 0.10),
)
# per driver: first-touch outcome probabilities (solve, ask -> pending, escalate -> hold)
OUTCOMES = (
    (0.40, 0.45, 0.04),
    (0.48, 0.40, 0.04),
    (0.22, 0.35, 0.25),
    (0.66, 0.26, 0.00),
    (0.62, 0.12, 0.14),
    (0.35, 0.42, 0.12),
    (0.40, 0.38, 0.10),
)
SPIKE_OUTCOME = (0.30, 0.40, 0.15)
BASE_HOURS = (7.0, 3.0, 1.0, 0.25)  # mean first-touch delay in work hours by priority
PRIO_WAIT = (1.4, 1.0, 0.45, 0.1)  # share of the queue wait a priority sits through
TIER_WAIT = (0.6, 0.85, 1.0, 1.15)

# comment families
(
    F_DESCRIPTION,
    F_AUTO_ACK,
    F_PHONE_NOTE,
    F_INSTANT_SOLVE,
    F_REPLY_SOLVE,
    F_REPLY_ASK,
    F_REPLY_ESCALATE,
    F_REPLY_WORKING,
    F_NOTE_ESCALATE,
    F_NOTE_HOLD_DONE,
    F_NOTE_INTERNAL,
    F_CUSTOMER_REPLY,
    F_CUSTOMER_REOPEN,
    F_CUSTOMER_LATE,
    F_NUDGE,
    F_SYSTEM_AUTOSOLVE,
) = range(16)
N_FAMILIES = 16
N_VARIANTS = 6
AGENT_PUBLIC_FAMILIES = (
    F_INSTANT_SOLVE,
    F_REPLY_SOLVE,
    F_REPLY_ASK,
    F_REPLY_ESCALATE,
    F_REPLY_WORKING,
    F_NUDGE,
)
CUSTOMER_FAMILIES = (F_CUSTOMER_REPLY, F_CUSTOMER_REOPEN, F_CUSTOMER_LATE)
PLACEHOLDERS = ("first", "last", "email", "phone", "n", "product", "card", "tag", "ticket")
BOT_ID = "a-000"  # the trigger that posts auto-acknowledgements as an agent

FIRST_NAMES = (
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Elif",
    "Farah",
    "Georg",
    "Hana",
    "Ivan",
    "Julia",
    "Kenji",
    "Lena",
    "Marco",
    "Nora",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Liam",
    "Mia",
    "Noah",
    "Emma",
    "Lucas",
    "Sofia",
    "Mateo",
    "Aisha",
    "Pablo",
    "Ingrid",
    "Tomas",
    "Chloe",
    "Raj",
    "Lea",
)
LAST_NAMES = (
    "Meyer",
    "Smith",
    "Garcia",
    "Nguyen",
    "Kowalski",
    "Rossi",
    "Dubois",
    "Tanaka",
    "Okafor",
    "Johansson",
    "Silva",
    "Novak",
    "Schmidt",
    "Brown",
    "Ali",
    "Jensen",
    "Moreau",
    "Khan",
    "Lopez",
    "Fischer",
    "Wilson",
    "Ivanova",
    "Martin",
    "Sato",
    "Costa",
    "Weber",
    "Haddad",
    "Murphy",
    "Virtanen",
    "Papadopoulos",
)
MAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "gmx.de", "proton.me")
AGENT_FIRST = (
    "Sam",
    "Alex",
    "Jordan",
    "Robin",
    "Kim",
    "Charlie",
    "Morgan",
    "Jamie",
    "Taylor",
    "Riley",
    "Casey",
    "Dana",
)

SUBJECTS: dict[str, tuple[str, ...]] = {
    "billing": (
        "Charged twice for my subscription",
        "Invoice INV-{n} shows the wrong amount",
        "Why was I charged again this month?",
        "Billing question about my last invoice",
        "Can't update my payment method",
        "Payment failed but the money left my account",
    ),
    "login": (
        "Can't log in",
        "Password reset email never arrives",
        "Locked out after changing my phone (2FA)",
        "SSO login fails with error {n}",
        "Login loop on the {product}",
        "Account locked",
    ),
    "bug": (
        "Export to CSV crashes",
        "Dashboard shows a blank page",
        "Error {n} when saving changes",
        "{product} freezes on startup",
        "Sync stopped working since the update",
        "Reports show wrong totals",
    ),
    "how-to": (
        "How do I add a team member?",
        "How to export my data?",
        "Where can I change notification settings?",
        "How do I set up the {product}?",
        "Question about user permissions",
        "Can I merge two workspaces?",
    ),
    "feature-request": (
        "Feature request: dark mode",
        "Please add bulk edit",
        "Would love an API for reports",
        "Suggestion: calendar integration",
        "Can you support SAML groups?",
        "Request: export to Excel",
    ),
    "refund": (
        "Refund request for order #{n}",
        "Please refund my annual plan",
        "I cancelled but was still charged",
        "Refund for a duplicate charge",
        "Refund not received yet",
        "Money back for unused seats",
    ),
    "shipping": (
        "Where is my order #{n}?",
        "Package marked delivered but not received",
        "Change shipping address for order #{n}",
        "Tracking number not working",
        "Order #{n} arrived damaged",
        "Delivery delayed again",
    ),
    "*": (
        "Problem with {tag}",
        "{tag} not working since this morning",
        "Urgent: {tag} issue",
        "Question about {tag}",
        "{tag} broken for our whole team",
        "Help with {tag}",
    ),
}
FOLLOWUP_SUBJECTS = (
    "Any update on my request?",
    "Following up on my earlier ticket",
    "Still waiting for an answer",
    "Re: my previous request",
    "Second request - nobody has replied",
    "Hello?? Any news?",
)
# aligned with SUBJECTS: description i goes with subject i
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "billing": (
        "I was charged twice for my subscription this month. Please check and reverse the "
        "second charge.",
        "Invoice INV-{n} shows a higher amount than my plan price. Can you explain why?",
        "I cancelled the add-on last month but was charged for it again. Why?",
        "Our finance team asks why the last invoice has a different VAT amount than before.",
        "I'm trying to update my credit card but the form keeps saying the card is invalid.",
        "Our payment failed this morning but my bank shows the money has left the account.",
    ),
    "login": (
        "I can't log in to my account. I reset my password twice and it still says invalid "
        "credentials.",
        "The password reset email never arrives. I checked spam as well.",
        "I changed my phone and now I can't get past the two-factor step.",
        "When I sign in with SSO I get error {n} and end up back on the login page.",
        "The {product} keeps sending me back to the login screen right after I sign in.",
        "My account says it is locked. I only tried my password a few times.",
    ),
    "bug": (
        "When I export a report to CSV the {product} crashes. It started after the last update.",
        "The dashboard is just a blank page since yesterday. Tried two browsers.",
        "I get error {n} every time I try to save changes to a project.",
        "The {product} freezes on the splash screen every time I open it.",
        "Data stopped syncing between the {product} and the web dashboard after the update.",
        "The monthly report shows totals that don't match the numbers in the list view.",
    ),
    "how-to": (
        "How do I invite a new colleague to our workspace?",
        "I would like to export all my data. Where do I find that?",
        "How can I turn off the email notifications for comments?",
        "Is there a guide for setting up the {product}? I can't find the option.",
        "Can I give a colleague access to reports without letting them edit anything?",
        "We ended up with two workspaces after a reorganisation. Can they be merged?",
    ),
    "feature-request": (
        "It would be great to have a dark mode in the {product}.",
        "We need a way to edit many records at once. Doing it one by one takes hours.",
        "Do you have plans for an API to pull reports into our BI tool?",
        "Please add an integration with Google and Outlook calendars.",
        "We would like to map SAML groups to roles so we don't manage users by hand.",
        "Exporting straight to Excel would save our finance team a lot of time.",
    ),
    "refund": (
        "I would like a refund for order #{n}. The product was not what I expected.",
        "We switched providers and would like a refund for the rest of our annual plan.",
        "I cancelled my subscription last week but was still charged for the year.",
        "You charged me twice, please refund the duplicate payment.",
        "I was promised a refund two weeks ago and still haven't received it.",
        "We removed 5 seats last month. Can we get the money back for them?",
    ),
    "shipping": (
        "My order #{n} was supposed to arrive three days ago. Where is it?",
        "Tracking says delivered but there is no package at my door.",
        "I moved and need to change the shipping address for order #{n}.",
        "The tracking number in the confirmation email shows 'not found' on the carrier's site.",
        "The box for order #{n} arrived crushed and the item is damaged.",
        "The delivery date for my order moved again. This is the third time.",
    ),
    "*": (
        "Something is wrong with {tag} since this morning. Several of us are affected.",
        "{tag} stopped working for our team. Is there an outage?",
        "We are seeing errors with {tag}. This is blocking our work.",
        "Can you check {tag}? It was fine yesterday.",
        "{tag} is broken for everyone in our company since the last update.",
        "I need help with {tag}, nothing I try works.",
    ),
}
FOLLOWUP_DESCRIPTIONS = (
    "I wrote to you a few days ago and haven't heard back. Any update?",
    "Following up on my earlier request, which is still unanswered.",
    "I'm still waiting for an answer to my last message. Please get back to me.",
    "Just checking whether you received my previous email.",
    "This is my second request. Nobody has replied to the first one.",
    "Hello?? Is anyone reading these? I need an answer.",
)
DESCRIPTION_OPENERS = ("", "Hi,\n\n", "Hello support,\n\n", "Hi team,\n\n", "", "Good morning,\n\n")
DESCRIPTION_CLOSERS = (
    "\n\nThanks,\n{first}",
    "\n\nRegards,\n{first} {last}",
    "\n\nSent from my iPhone",
    "",
    "\n\n{first}",
    " Thanks in advance!",
)
PII_SENTENCES = (
    "",
    " You can reach me at {email}.",
    " Please call me on {phone} if that is easier.",
    " My email is {email} and my phone number is {phone}.",
    " The card I used is {card}.",
)
AGENT_OPENERS = (
    "Hi {first},\n\n",
    "Hello {first},\n\n",
    "Hi {first}, thanks for reaching out.\n\n",
    "Hi {first},\n\n",
    "Dear {first},\n\n",
    "Hi there,\n\n",
)
AGENT_CLOSERS = (
    "\n\nBest,\n{agent}",
    "\n\nKind regards,\n{agent}\nCustomer Support",
    "\n\nCheers,\n{agent}",
    "\n\nBest regards,\n{agent}",
    "\n\nThanks,\n{agent}",
    "\n\n{agent}",
)
CUSTOMER_CLOSERS = ("", "\n\n{first}", "\n\nSent from my iPhone", "", " Thanks.", "\n\n-- {first}")

# aligned with SUBJECTS: the resolution of problem i
SOLVE_REPLIES: dict[str, tuple[str, ...]] = {
    "billing": (
        "I checked your account and voided the duplicate charge for this month. The reversal "
        "will show on your statement within 3-5 business days.",
        "The higher amount on invoice INV-{n} is a prorated charge for seats added mid-cycle. "
        "I attached a breakdown; there is nothing you need to do.",
        "The add-on was cancelled after the renewal date, so it was billed once more. I "
        "refunded that charge and confirmed the add-on is now off.",
        "The VAT amount changed because your billing address moved to another country. I sent "
        "a corrected invoice with your VAT ID applied.",
        "The card form rejects cards when the billing postcode doesn't match. I updated your "
        "payment method manually; the next invoice will use the new card.",
        "The failed payment was only an authorisation hold. Your bank releases it within 5 "
        "business days, and the retry went through fine.",
    ),
    "login": (
        "Your account still had an old password policy applied. I reset it; please use the "
        "'Forgot password' link once more and sign in again.",
        "The reset emails were blocked by your mail filter. I sent a new link from another "
        "sender; it is valid for 24 hours.",
        "I reset your two-factor settings. Sign in with your password and you will be asked "
        "to set up 2FA again.",
        "SSO error {n} means the identity provider certificate expired. Your admin updated it "
        "with our help and sign-in works again.",
        "The login loop is caused by blocked third-party cookies. Allow cookies for our domain "
        "or update the {product} to the latest version.",
        "Your account was locked after too many attempts. I unlocked it; please clear your "
        "browser cache and sign in again.",
    ),
    "bug": (
        "This was a known issue with large CSV exports and it is fixed in version 4.{n}. "
        "Please update the {product} and retry the export.",
        "The blank dashboard came from a browser extension blocking our scripts. Disabling the "
        "ad blocker for our site fixes it.",
        "Error {n} on save was a bug on our side that our engineers fixed this morning. Please "
        "try saving again.",
        "Clearing the local cache fixes this: Settings > Advanced > Clear cache, then restart "
        "the {product}.",
        "Sync needed a fresh token after the update. Sign out and back in on the {product} "
        "and syncing resumes.",
        "The totals differed because the report used the account's time zone. I switched it "
        "to your local zone and the numbers match now.",
    ),
    "how-to": (
        "You can add team members under Settings > Team > Invite. Enter their email "
        "addresses and choose a role for each.",
        "To export your data go to Settings > Data > Export and pick CSV or JSON. We email "
        "you a link when the file is ready.",
        "Notification settings are under your profile picture > Preferences > "
        "Notifications. You can switch each channel on or off there.",
        "The setup guide for the {product} is in the Help Center under Getting started. First "
        "connect your account under Settings > Devices.",
        "Give your colleague the Viewer role under Settings > Team. Viewers can open reports "
        "but can't edit anything.",
        "Workspaces can only be merged by our team, so I merged them for you. Everything is "
        "now in your main workspace.",
    ),
    "feature-request": (
        "Thanks for the suggestion! Dark mode is on our roadmap as FR-{n}. We can't promise a "
        "date, but every vote counts.",
        "Bulk edit is planned for later this year. I added your account to the request so you "
        "hear from us when it ships.",
        "A reporting API is on our roadmap. Meanwhile you can schedule CSV exports to a shared "
        "folder under Settings > Data.",
        "I logged the calendar integration request with our product team as FR-{n}. We'll let "
        "you know when it moves forward.",
        "SAML group mapping is available on the Enterprise plan under Settings > Security > "
        "SSO. I sent you the setup guide.",
        "I passed the Excel export idea on to the product team. CSV exports open in Excel in "
        "the meantime.",
    ),
    "refund": (
        "The refund for order #{n} has been issued. You should see it on your statement within "
        "a week.",
        "I processed a refund for the remaining months of your annual plan. It will reach your "
        "card within 5-10 business days.",
        "Your cancellation came in after the renewal, so I refunded the yearly charge in full. "
        "It will reach your card within 5-10 business days.",
        "I refunded the duplicate payment. It will show on your statement within 3-5 business "
        "days.",
        "The refund was stuck with our payment provider. I pushed it through today; you should "
        "see it within 3 business days.",
        "I refunded the unused seats on your plan pro rata and sent the credit note to your "
        "billing contact.",
    ),
    "shipping": (
        "Order #{n} was held at the carrier's depot. It is moving again and should arrive "
        "within 2 business days.",
        "I opened a claim with the carrier and a replacement for the missing package ships today.",
        "I updated the shipping address on order #{n}. The courier will deliver to the new "
        "address.",
        "The tracking number only becomes active once the carrier scans the parcel. It is "
        "active now and shows your order in transit.",
        "Sorry the package arrived damaged. A replacement ships today and you don't need to "
        "return the damaged item.",
        "The delay was caused by a stock shortage. Your order ships tomorrow with express "
        "delivery at no extra cost.",
    ),
    "*": (
        "The {tag} issue was caused by a faulty deployment on our side. It has been rolled "
        "back; please try again.",
        "We fixed the {tag} problem for all accounts. Sorry for the trouble!",
        "The {tag} incident is resolved. Details are on our status page.",
        "A configuration change broke {tag} for some accounts. We reverted it and everything "
        "works again.",
        "{tag} is back to normal after our engineers restarted the affected service.",
        "We released a fix for {tag} this morning. Please reload the page.",
    ),
}
ASK_REPLIES: dict[str, tuple[str, ...]] = {
    "billing": (
        "Could you send me the date and amount of the charge so I can locate the payment?",
    ),
    "login": (
        "Could you tell me how you sign in (password, Google or SSO) and send a "
        "screenshot of the error?",
    ),
    "bug": (
        "Could you send the steps to reproduce this and the version of the {product} you "
        "use? A screenshot would help too.",
    ),
    "how-to": ("Happy to help! Which plan are you on, and are you an admin of the workspace?",),
    "feature-request": (
        "Thanks! Could you tell us how you would use this, so our product "
        "team understands the use case?",
    ),
    "refund": (
        "Could you confirm the order number and whether the refund should go to the "
        "original payment method?",
    ),
    "shipping": (
        "Could you confirm your shipping address and the order number? I will open "
        "an investigation with the carrier.",
    ),
    "*": (
        "Could you tell us when {tag} last worked for you and send a screenshot of the error?",
        "Which of your users are affected by the {tag} problem?",
    ),
}
GENERIC_ASK = (
    "Could you send us a screenshot of what you see? That will help us a lot.",
    "To move forward I need a bit more information: when did this start, and does "
    "it happen every time?",
)
GENERIC_FAMILIES: dict[int, tuple[str, ...]] = {
    F_AUTO_ACK: (
        "We have received your request (#{ticket}) and a member of our support team will get "
        "back to you shortly.",
        "This is an automated response to let you know we've received your message. We aim "
        "to reply within one business day.",
        "Thank you for contacting support. We've received your ticket and will respond as soon "
        "as possible. This is an automatic message, please do not reply.",
        "We have received your request. Our team is reviewing it and will be in touch.",
    ),
    F_REPLY_ESCALATE: (
        "I have escalated this to our engineering team and will update you as soon as I hear back.",
        "Thanks for your patience. I passed this on to a specialist and we will get back to "
        "you shortly.",
        "I have asked a specialist on our team to look into this. I'll keep you posted.",
    ),
    F_REPLY_WORKING: (
        "Thanks for the details, I'm looking into this now and will get back to you today.",
        "I'm still investigating this and will update you soon.",
        "Quick update: we can reproduce the problem and are working on it.",
    ),
    F_NOTE_ESCALATE: (
        "Escalating to tier 2 - customer is blocked. Repro steps in the first comment.",
        "Raised ENG-{n} for this. Putting on hold until engineering responds.",
        "Needs finance approval before we can proceed. Asked in #billing-ops.",
    ),
    F_NOTE_HOLD_DONE: (
        "Engineering confirmed the fix is deployed.",
        "Finance approved, proceeding.",
        "Update from tier 2: root cause found, safe to reply to the customer.",
    ),
    F_NOTE_INTERNAL: (
        "Customer is on a large contract, handle with care.",
        "Checked the logs, nothing unusual on our side.",
        "Looks similar to ticket #{n}.",
        "Taking this over from the previous assignee.",
        "Customer's email on file is {email}, phone {phone}.",
    ),
    F_CUSTOMER_REPLY: (
        "Here is the screenshot you asked for. It happens every time I open the {product}.",
        "Yes, I'm the admin. We are on the business plan.",
        "I tried that but it still doesn't work.",
        "The order number is #{n}. Thanks for checking.",
        "This is the third time I'm writing about this. Please fix it, we are losing money.",
        "Sure, you can call me on {phone} this afternoon.",
    ),
    F_CUSTOMER_REOPEN: (
        "Sorry, this is still not working for me.",
        "The problem is back since this morning.",
        "Thanks, that worked!",
        "I still haven't received anything. What is going on?",
        "This is still broken and I'm getting really frustrated.",
    ),
    F_CUSTOMER_LATE: (
        "Hi again, the same issue has come back.",
        "Reopening this: it is happening again after the last update.",
        "I thought this was fixed but I'm seeing it again.",
    ),
    F_NUDGE: (
        "Are you still seeing this? If we don't hear back we will close this request in a few "
        "days.",
        "Just checking in: is this still an issue for you?",
        "Are you still seeing this problem? Let me know and I'll pick it up right away.",
    ),
    F_SYSTEM_AUTOSOLVE: (
        "This request was set to solved because we did not hear back from you for 7 days. "
        "Reply to this email to reopen it.",
        "Request closed for inactivity. Reply to reopen it.",
    ),
}


@dataclass(frozen=True)
class SyntheticConfig:
    """What to simulate and how to write it.

    Attributes:
        start: First export day.
        days: Number of export days.
        seed: Seed of the only random generator; the same seed gives byte-identical files.
        tickets_per_day: Mean weekday inflow; weekends are much quieter.
        agents: Team size; sick days and a holiday week push capacity below inflow.
        fmt: ``csv``, ``jsonl`` or ``parquet``.
        with_events: False writes only ticket snapshots.
        timezone: Zone the timestamps are written in and days are cut in.
        spike: ``(tag, first day, extra tickets per day)`` planted for 5 days.
        initial_snapshot: The first export also lists every ticket still unsolved from before
            ``start`` (the carried-over backlog), as a first full export would.
    """

    start: date
    days: int = 60
    seed: int = 7
    tickets_per_day: float = 40.0
    agents: int = 6
    fmt: str = "csv"
    with_events: bool = True
    timezone: str = "UTC"
    spike: tuple[str, date, int] | None = None
    initial_snapshot: bool = True


@dataclass(frozen=True, eq=False)
class GeneratedHistory:
    """The truth behind a generated export root.

    Attributes:
        days: Exported days.
        tickets: Tickets created, including the 30 days simulated before ``start``.
        timezone: Zone of the export days.
        window_start: Start of the first export day (aware, UTC).
        window_end: End of the last export day (aware, UTC).
        transitions_frame: One row per status transition: ticket_id, at, from_status,
            to_status (creation rows have a null from_status), up to ``window_end``.
        comments_frame: One row per comment: ticket_id, at, author_id, author_role, public,
            auto_ack, creation_comment.
        ticket_facts: One row per ticket: attributes and truth (first reply, first
            meaningful reply, first and last solve, final status, reopens, spawn reason).
        daily: One row per export day, by SPEC 5: inflow, outflow, reopened, backlog and its
            split by status, stale; plus the agents at work that day.
        counts: Headline counts (events, ticket rows, reopens, deletes, stale, ...).
        files: The files written.
        holiday: First and last weekday of the week when about half the team is away.
    """

    days: list[date]
    tickets: int
    timezone: str
    window_start: datetime
    window_end: datetime
    transitions_frame: pl.DataFrame
    comments_frame: pl.DataFrame
    ticket_facts: pl.DataFrame
    daily: pl.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    holiday: tuple[date, date] | None = None

    @cached_property
    def transitions(self) -> list[tuple[str, datetime, str | None, str]]:
        """Status transitions as (ticket_id, at, from_status, to_status) tuples, in time order."""
        f = self.transitions_frame
        return list(
            zip(
                f["ticket_id"].to_list(),
                f["at"].to_list(),
                f["from_status"].to_list(),
                f["to_status"].to_list(),
                strict=True,
            )
        )

    @cached_property
    def comments(self) -> list[tuple[str, datetime, str, bool, bool]]:
        """Comments as (ticket_id, at, author_role, public, auto_ack) tuples."""
        f = self.comments_frame
        return list(
            zip(
                f["ticket_id"].to_list(),
                f["at"].to_list(),
                f["author_role"].to_list(),
                f["public"].to_list(),
                f["auto_ack"].to_list(),
                strict=True,
            )
        )


class _Events:
    """Append-only columnar buffer of simulated events."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {
            k: []
            for k in ("tix", "t", "ord", "kind", "fr", "to", "author", "role", "public", "fam")
        }
        self.calls = 0

    def add(
        self,
        tix: np.ndarray,
        t: np.ndarray,
        kind: int,
        *,
        fr: np.ndarray | int = -1,
        to: np.ndarray | int = -1,
        author: np.ndarray | int = A_REQUESTER,
        role: np.ndarray | int = R_USER,
        public: np.ndarray | int = -1,
        fam: np.ndarray | int = -1,
    ) -> None:
        n = len(tix)
        if n == 0:
            return
        p = self.parts
        p["tix"].append(np.asarray(tix, dtype=np.int32))
        p["t"].append(np.asarray(t, dtype=np.int64))
        p["ord"].append(np.full(n, self.calls, dtype=np.int32))
        self.calls += 1
        for name, value, dtype in (
            ("kind", kind, np.int8),
            ("fr", fr, np.int32),
            ("to", to, np.int32),
            ("author", author, np.int32),
            ("role", role, np.int8),
            ("public", public, np.int8),
            ("fam", fam, np.int8),
        ):
            p[name].append(np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy())

    def collect(self) -> dict[str, np.ndarray]:
        """All events as columns; the buffer is emptied."""
        out = {}
        for k in list(self.parts):
            out[k] = np.concatenate(self.parts[k])
            self.parts[k] = []
        return out


@dataclass
class _Batch:
    """Attributes and simulation state of a batch of tickets (global index = off + local)."""

    off: int
    created: np.ndarray
    requester: np.ndarray
    channel: np.ndarray
    driver: np.ndarray
    spawn: np.ndarray  # 0 base, 1 recontact, 2 follow-up
    parent: np.ndarray
    tier: np.ndarray = field(init=False)
    org: np.ndarray = field(init=False)
    driver2: np.ndarray = field(init=False)
    gtag: np.ndarray = field(init=False)
    atag: np.ndarray = field(init=False)
    prio0: np.ndarray = field(init=False)
    prio1: np.ndarray = field(init=False)
    ttype: np.ndarray = field(init=False)
    agent: np.ndarray = field(init=False)
    agent_created: np.ndarray = field(init=False)
    created_solved: np.ndarray = field(init=False)
    deleted: np.ndarray = field(init=False)
    extra_wait: np.ndarray = field(init=False)
    subj: np.ndarray = field(init=False)
    desc: np.ndarray = field(init=False)
    pii: np.ndarray = field(init=False)
    num: np.ndarray = field(init=False)
    product: np.ndarray = field(init=False)
    # state
    status: np.ndarray = field(init=False)
    t: np.ndarray = field(init=False)
    assignee: np.ndarray = field(init=False)
    n_reopen: np.ndarray = field(init=False)
    n_cycles: np.ndarray = field(init=False)
    first_solve: np.ndarray = field(init=False)
    first_touch: np.ndarray = field(init=False)
    fast: np.ndarray = field(init=False)
    autosolved: np.ndarray = field(init=False)
    touched: np.ndarray = field(init=False)
    active: np.ndarray = field(init=False)

    @property
    def n(self) -> int:
        return len(self.created)


class _Sim:
    """The simulation: calendar, capacity model, ticket batches and their events."""

    def __init__(self, cfg: SyntheticConfig) -> None:
        if cfg.days < 1:
            raise ValueError("SyntheticConfig.days must be at least 1")
        if cfg.fmt not in ("csv", "jsonl", "parquet"):
            raise ValueError(f"SyntheticConfig.fmt must be csv, jsonl or parquet, not {cfg.fmt!r}")
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        self.tz = ZoneInfo(cfg.timezone)
        self.n_agents = max(1, int(cfg.agents))
        self.sim_first = cfg.start - timedelta(days=WARMUP_DAYS)
        self.n_sim = WARMUP_DAYS + cfg.days
        margin = 120
        self.dates = [self.sim_first + timedelta(days=i) for i in range(self.n_sim + margin + 1)]
        self.bounds = np.array(
            [int(datetime.combine(d, time(0), tzinfo=self.tz).timestamp()) for d in self.dates],
            dtype=np.int64,
        )
        self.offsets = np.array(
            [
                int(datetime.combine(d, time(12), tzinfo=self.tz).utcoffset().total_seconds())
                for d in self.dates
            ],
            dtype=np.int64,
        )
        self.horizon = int(self.bounds[self.n_sim])
        self.window_start = int(self.bounds[WARMUP_DAYS])
        self.drivers = list(DRIVERS)
        if cfg.spike is not None and cfg.spike[0] not in self.drivers:
            self.drivers.append(cfg.spike[0])
        self.ev = _Events()
        self.batches: list[_Batch] = []
        self._requesters()

    # -- population ---------------------------------------------------------------------

    def _requesters(self) -> None:
        rng = self.rng
        n = max(300, int(self.cfg.tickets_per_day * 20))
        n_org = max(20, n // 6)
        org_tier = rng.choice(4, size=n_org, p=[0.12, 0.33, 0.55, 0.0])
        has_org = rng.random(n) < 0.62
        org = np.where(has_org, rng.integers(0, n_org, n), -1)
        tier = np.where(has_org, org_tier[np.maximum(org, 0)], rng.choice([2, 3], n, p=[0.2, 0.8]))
        w = 1.0 / (np.arange(n) + 8.0) ** 0.85
        self.req_p = rng.permutation(w / w.sum())
        self.req_tier = tier.astype(np.int8)
        self.req_org = org.astype(np.int32)
        self.req_first = rng.integers(0, len(FIRST_NAMES), n)
        self.req_last = rng.integers(0, len(LAST_NAMES), n)
        self.req_domain = rng.integers(0, len(MAIL_DOMAINS), n)
        self.req_mailnum = rng.integers(1, 99, n)
        self.req_phone = rng.integers(2_000_000, 9_999_999, n)
        self.n_requesters = n
        self.n_orgs = n_org
        self.agent_w = rng.dirichlet(np.full(self.n_agents, 6.0))

    def _capacity(self, created_per_day: np.ndarray) -> None:
        """Daily queue wait (in days of work) from inflow against the team's capacity."""
        rng, cfg = self.rng, self.cfg
        n = len(self.dates)
        wd = np.array([d.weekday() for d in self.dates])
        avail = np.full(n, float(self.n_agents))
        sick = rng.binomial(self.n_agents, 0.05, n)
        avail = avail - sick
        self.holiday: tuple[date, date] | None = None
        if cfg.days >= 21:
            first = WARMUP_DAYS + int(cfg.days * 0.35)
            while wd[first] != 0:
                first += 1
            out = max(1, round(self.n_agents * 0.55))
            avail[first : first + 7] -= out
            self.holiday = (self.dates[first], self.dates[first + 4])
        avail = np.clip(avail, 0, None)
        arrivals = np.zeros(n)
        arrivals[: len(created_per_day)] = created_per_day * 1.5
        nominal = 1.18 * 1.5 * cfg.tickets_per_day * sum(WEEKDAY_FACTOR) / 5
        cap = np.where(wd < 5, nominal * avail / self.n_agents, nominal * 0.08)
        q = 0.0
        wait = np.zeros(n)
        for i in range(n):
            q = max(0.0, q + arrivals[i] - cap[i])
            wait[i] = q / nominal
        self.wait_days = wait
        self.avail = np.where(wd < 5, avail, np.minimum(avail, 1))  # weekends: on call only

    # -- calendar helpers -----------------------------------------------------------------

    def _day_index(self, t: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(self.bounds, t, side="right") - 1, 0, len(self.bounds) - 2)

    def snap(self, t: np.ndarray) -> np.ndarray:
        """Move instants outside working hours (08-18 local, Mon-Fri) to the next morning."""
        t = np.asarray(t, dtype=np.int64)
        off = self.offsets[self._day_index(t)]
        loc = t + off
        ld = loc // DAY
        sec = loc - ld * DAY
        wd = (ld + 3) % 7  # 1970-01-01 was a Thursday
        inside = (wd < 5) & (sec >= 8 * HOUR) & (sec < 18 * HOUR)
        early = (wd < 5) & (sec < 8 * HOUR)
        add = np.select([wd == 4, wd == 5], [3, 2], default=1)
        nd = np.where(early, ld, ld + add)
        jitter = np.minimum(self.rng.exponential(1800.0, len(t)), 3 * HOUR).astype(np.int64)
        moved = nd * DAY + 8 * HOUR + jitter - off
        return np.where(inside, t, moved)

    def agent_time(self, b: _Batch, idx: np.ndarray, ready: np.ndarray) -> np.ndarray:
        """When an agent next acts on tickets that became ready for an agent at ``ready``."""
        rng = self.rng
        n = len(idx)
        prio = b.prio1[idx]
        wait = (
            self.wait_days[self._day_index(ready)]
            * np.asarray(PRIO_WAIT)[prio]
            * np.asarray(TIER_WAIT)[b.tier[idx]]
            * rng.uniform(0.3, 1.3, n)
            * 1.4
            * DAY
        )
        base = rng.exponential(np.asarray(BASE_HOURS)[prio] * HOUR) + 60
        fast = b.fast[idx]
        base = np.where(fast, rng.uniform(300, 5400, n), base)
        wait = np.where(fast, 0.0, wait)
        snapped = self.snap(self.snap(ready) + (base + wait).astype(np.int64))
        return np.where(prio == 3, ready + base.astype(np.int64), snapped).astype(np.int64)

    # -- tickets ----------------------------------------------------------------------------

    def base_arrivals(self) -> tuple[np.ndarray, np.ndarray]:
        """Creation instants and drivers of the base inflow (plus the planted spike)."""
        rng, cfg = self.rng, self.cfg
        wd = np.array([d.weekday() for d in self.dates[: self.n_sim]])
        trend = 1.0 + 0.08 * np.sin(np.arange(self.n_sim) / 17.0)
        lam = cfg.tickets_per_day * np.asarray(WEEKDAY_FACTOR)[wd] * trend
        lam = lam * rng.lognormal(0.0, 0.1, self.n_sim)
        counts = rng.poisson(lam)
        spike = np.zeros(self.n_sim, dtype=np.int64)
        if cfg.spike is not None:
            first = (cfg.spike[1] - self.sim_first).days
            for i in range(first, first + 5):
                if 0 <= i < self.n_sim:
                    spike[i] = int(cfg.spike[2])
        total = counts + spike
        self._capacity(total.astype(float))
        day = np.repeat(np.arange(self.n_sim), total)
        is_spike = (
            np.concatenate(
                [
                    np.r_[np.zeros(c, bool), np.ones(s, bool)]
                    for c, s in zip(counts, spike, strict=True)
                ]
            )
            if len(day)
            else np.zeros(0, bool)
        )
        weekend = wd[day] >= 5
        p_wd = np.asarray(HOURLY_WEEKDAY, float) / sum(HOURLY_WEEKDAY)
        p_we = np.asarray(HOURLY_WEEKEND, float) / sum(HOURLY_WEEKEND)
        hour = np.where(weekend, rng.choice(24, len(day), p=p_we), rng.choice(24, len(day), p=p_wd))
        t = self.bounds[day] + hour * HOUR + rng.integers(0, HOUR, len(day))
        t = np.minimum(t, self.bounds[day + 1] - 1)
        driver = rng.choice(len(DRIVERS), len(day), p=np.asarray(DRIVER_WEIGHTS))
        if cfg.spike is not None:
            driver = np.where(is_spike, self.drivers.index(cfg.spike[0]), driver)
        return t.astype(np.int64), driver.astype(np.int16)

    def new_batch(
        self,
        created: np.ndarray,
        driver: np.ndarray,
        requester: np.ndarray | None = None,
        spawn: int = 0,
        parent: np.ndarray | None = None,
    ) -> _Batch:
        rng = self.rng
        n = len(created)
        off = sum(b.n for b in self.batches)
        if requester is None:
            requester = rng.choice(self.n_requesters, n, p=self.req_p)
        channel = rng.choice(5, n, p=[0.38, 0.25, 0.17, 0.12, 0.08])
        if spawn:
            channel = rng.choice(5, n, p=[0.55, 0.3, 0.1, 0.05, 0.0])
        b = _Batch(
            off=off,
            created=np.asarray(created, np.int64),
            requester=np.asarray(requester, np.int32),
            channel=channel.astype(np.int8),
            driver=np.asarray(driver, np.int16),
            spawn=np.full(n, spawn, np.int8),
            parent=np.full(n, -1, np.int32) if parent is None else parent.astype(np.int32),
        )
        b.tier = self.req_tier[b.requester]
        b.org = self.req_org[b.requester]
        nd = len(DRIVERS)
        d2 = rng.integers(0, nd, n)
        b.driver2 = np.where((rng.random(n) < 0.16) & (d2 != b.driver), d2, -1).astype(np.int16)
        vip = (b.tier <= 1) & (rng.random(n) < 0.45)
        other = rng.choice([1, 2, -1], n, p=[0.1, 0.05, 0.85])
        b.gtag = np.where(vip, 0, other).astype(np.int8)
        b.atag = np.where(rng.random(n) < 0.08, rng.integers(0, len(ADDED_TAGS), n), -1).astype(
            np.int8
        )
        urgent_drivers = np.isin(b.driver, [1, 2])
        base_p = rng.choice(4, n, p=[0.2, 0.56, 0.19, 0.05])
        bump = (urgent_drivers | (b.tier == 0)) & (rng.random(n) < 0.25)
        b.prio0 = np.minimum(base_p + bump, 3).astype(np.int8)
        change = rng.random(n) < 0.12
        step = np.where(urgent_drivers | (rng.random(n) < 0.5), 1, -1)
        b.prio1 = np.where(change, np.clip(b.prio0 + step, 0, 3), b.prio0).astype(np.int8)
        mix = np.asarray(TYPE_MIX + ((0.3, 0.6, 0.1, 0.0),) * (len(self.drivers) - nd))
        cum = mix.cumsum(axis=1)[b.driver]
        b.ttype = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, 3).astype(np.int8)
        b.agent = rng.choice(self.n_agents, n, p=self.agent_w).astype(np.int16)
        phone = b.channel == CH_PHONE
        b.agent_created = phone & (rng.random(n) < 0.75)
        if not spawn:  # calls are taken in working hours
            moved = self.snap(b.created)
            b.created = np.where(b.agent_created & (moved < self.horizon), moved, b.created)
        b.created_solved = (b.agent_created & (rng.random(n) < 0.35)) | (
            (b.channel == CH_CHAT) & (rng.random(n) < 0.12)
        )
        b.deleted = (
            np.isin(b.channel, [CH_EMAIL, CH_WEB, CH_API]) & (rng.random(n) < 0.008) & (spawn == 0)
        )
        forgotten = (rng.random(n) < 0.015) & (b.prio0 <= 1) & ~b.agent_created
        b.extra_wait = np.where(forgotten, rng.integers(4 * DAY, 30 * DAY, n), 0).astype(np.int64)
        b.subj = rng.integers(0, N_VARIANTS, n).astype(np.int16)
        b.desc = rng.integers(0, 1 << 12, n).astype(np.int16)
        pii_p = [0.8, 0.07, 0.06, 0.04, 0.03]
        b.pii = rng.choice(5, n, p=pii_p).astype(np.int8)
        b.pii = np.where((b.pii == 4) & ~np.isin(b.driver, [0, 5]), 0, b.pii).astype(np.int8)
        b.num = rng.integers(10_000, 99_999, n).astype(np.int32)
        b.product = rng.integers(0, len(PRODUCTS), n).astype(np.int8)
        b.status = np.full(n, NEW, np.int8)
        b.t = b.created.copy()
        b.assignee = np.full(n, -1, np.int16)
        b.n_reopen = np.zeros(n, np.int8)
        b.n_cycles = np.zeros(n, np.int8)
        b.first_solve = np.full(n, -1, np.int64)
        b.first_touch = np.full(n, -1, np.int64)
        b.fast = np.zeros(n, bool)
        b.autosolved = np.zeros(n, bool)
        b.touched = np.zeros(n, bool)
        b.active = np.ones(n, bool)
        self.batches.append(b)
        self._create(b)
        return b

    def _create(self, b: _Batch) -> None:
        """Creation events: status row, description, auto-acknowledgement, agent creation."""
        ev, rng = self.ev, self.rng
        g = b.off + np.arange(b.n)
        c = b.created
        ac, cs = b.agent_created, b.created_solved
        user = ~ac
        # status row at created_at
        init = np.where(ac & ~cs, OPEN, NEW)
        ev.add(
            g,
            c,
            K_STATUS,
            fr=-1,
            to=init,
            author=np.where(ac, b.agent, A_REQUESTER),
            role=np.where(ac, R_AGENT, R_USER),
        )
        # the requester's description is the first comment
        u = np.flatnonzero(user)
        ev.add(g[u], c[u], K_COMMENT, author=A_REQUESTER, role=R_USER, public=1, fam=F_DESCRIPTION)
        # agent-created (phone): assigned at creation, with a public agent comment
        a = np.flatnonzero(ac)
        ev.add(g[a], c[a], K_ASSIGN, fr=-1, to=b.agent[a], author=b.agent[a], role=R_AGENT)
        ev.add(g[a], c[a], K_COMMENT, author=b.agent[a], role=R_AGENT, public=1, fam=F_PHONE_NOTE)
        # created solved: resolved in the call or the chat, at created_at
        s = np.flatnonzero(cs)
        s_user = s[~ac[s]]
        ev.add(
            g[s_user],
            c[s_user],
            K_ASSIGN,
            fr=-1,
            to=b.agent[s_user],
            author=b.agent[s_user],
            role=R_AGENT,
        )
        ev.add(
            g[s_user],
            c[s_user],
            K_COMMENT,
            author=b.agent[s_user],
            role=R_AGENT,
            public=1,
            fam=F_INSTANT_SOLVE,
        )
        ev.add(g[s], c[s], K_STATUS, fr=NEW, to=SOLVED, author=b.agent[s], role=R_AGENT)
        # trigger: auto-acknowledgement for email and web requests
        k = np.flatnonzero(user & ~cs & np.isin(b.channel, [CH_EMAIL, CH_WEB]))
        ev.add(
            g[k],
            c[k] + rng.integers(3, 45, len(k)),
            K_COMMENT,
            author=A_BOT,
            role=R_AGENT,
            public=1,
            fam=F_AUTO_ACK,
        )
        b.assignee = np.where(ac | cs, b.agent, -1).astype(np.int16)
        b.touched = ac.copy()
        b.status = np.where(cs, SOLVED, init).astype(np.int8)
        b.first_solve = np.where(cs, c, -1)
        b.fast = ac & ~cs  # the agent who took the call follows up soon

    # -- lifecycle --------------------------------------------------------------------------

    def run(self, b: _Batch) -> None:
        for _ in range(MAX_ROUNDS):
            b.active &= b.t < self.horizon
            if not b.active.any():
                break
            st = b.status
            groups = [
                (np.flatnonzero(b.active & (st == NEW) & ~b.touched), self._first_touch),
                (
                    np.flatnonzero(b.active & ((st == OPEN) | ((st == NEW) & b.touched))),
                    self._agent_turn,
                ),
                (np.flatnonzero(b.active & (st == PENDING)), self._pending),
                (np.flatnonzero(b.active & (st == HOLD)), self._hold),
                (np.flatnonzero(b.active & (st == SOLVED)), self._solved),
            ]
            for idx, handler in groups:
                if len(idx):
                    handler(b, idx)

    def _first_touch(self, b: _Batch, idx: np.ndarray) -> None:
        ev, rng = self.ev, self.rng
        dele = idx[b.deleted[idx]]
        if len(dele):
            td = self.snap(b.created[dele] + rng.integers(600, 8 * HOUR, len(dele)))
            ev.add(
                b.off + dele, td, K_STATUS, fr=NEW, to=DELETED, author=b.agent[dele], role=R_AGENT
            )
            b.status[dele] = DELETED
            b.t[dele] = td
            b.active[dele] = False
        w = idx[~b.deleted[idx]]
        if not len(w):
            return
        g = b.off + w
        t0 = self.agent_time(b, w, b.t[w] + b.extra_wait[w])
        b.first_touch[w] = t0
        b.touched[w] = True
        b.assignee[w] = b.agent[w]
        ev.add(g, t0, K_ASSIGN, fr=-1, to=b.agent[w], author=b.agent[w], role=R_AGENT)
        pc = b.prio1[w] != b.prio0[w]
        ev.add(
            g[pc],
            t0[pc] + 1,
            K_PRIORITY,
            fr=b.prio0[w][pc],
            to=b.prio1[w][pc],
            author=b.agent[w][pc],
            role=R_AGENT,
        )
        tc = b.atag[w] >= 0
        ev.add(g[tc], t0[tc] + 2, K_TAG, fr=0, to=1, author=b.agent[w][tc], role=R_AGENT)
        self._act(b, w, t0 + rng.integers(120, 900, len(w)))

    def _agent_turn(self, b: _Batch, idx: np.ndarray) -> None:
        ev, rng = self.ev, self.rng
        n = len(idx)
        g = b.off + idx
        t0 = self.agent_time(b, idx, b.t[idx])
        hand = (rng.random(n) < 0.07) & (self.n_agents > 1)
        new_agent = (b.assignee[idx] + rng.integers(1, max(2, self.n_agents), n)) % self.n_agents
        h = np.flatnonzero(hand)
        ev.add(
            g[h],
            t0[h],
            K_ASSIGN,
            fr=b.assignee[idx][h],
            to=new_agent[h],
            author=new_agent[h],
            role=R_AGENT,
        )
        b.assignee[idx[h]] = new_agent[h]
        note = np.flatnonzero(rng.random(n) < 0.07)
        ev.add(
            g[note],
            t0[note] + 1,
            K_COMMENT,
            author=b.assignee[idx][note],
            role=R_AGENT,
            public=0,
            fam=F_NOTE_INTERNAL,
        )
        self._act(b, idx, t0 + rng.integers(60, 900, n))

    def _act(self, b: _Batch, idx: np.ndarray, tc: np.ndarray) -> None:
        """An agent replies and sets the next status: solved, pending, hold or still open."""
        ev, rng = self.ev, self.rng
        n = len(idx)
        g = b.off + idx
        table = np.asarray(OUTCOMES + (SPIKE_OUTCOME,) * (len(self.drivers) - len(DRIVERS)))
        p = table[b.driver[idx]]
        later = b.n_cycles[idx] > 0
        ps = np.where(later, np.minimum(p[:, 0] + 0.25, 0.9), p[:, 0])
        pp = np.where(later, p[:, 1] * 0.6, p[:, 1])
        ph = np.where(later, p[:, 2] * 0.3, p[:, 2])
        tired = b.n_cycles[idx] >= 4
        ps = np.where(tired, 0.9, ps)
        pp = np.where(tired, 0.08, pp)
        ph = np.where(tired, 0.0, ph)
        u = rng.random(n)
        outcome = np.select([u < ps, u < ps + pp, u < ps + pp + ph], [0, 1, 2], default=3)
        fam = np.asarray([F_REPLY_SOLVE, F_REPLY_ASK, F_REPLY_ESCALATE, F_REPLY_WORKING])[outcome]
        agent = b.assignee[idx]
        ev.add(g, tc, K_COMMENT, author=agent, role=R_AGENT, public=1, fam=fam)
        hold = outcome == 2
        ev.add(
            g[hold],
            tc[hold] + 1,
            K_COMMENT,
            author=agent[hold],
            role=R_AGENT,
            public=0,
            fam=F_NOTE_ESCALATE,
        )
        new = np.asarray([SOLVED, PENDING, HOLD, OPEN], np.int8)[outcome]
        ts = tc + 1 + hold
        cur = b.status[idx]
        ch = new != cur
        ev.add(g[ch], ts[ch], K_STATUS, fr=cur[ch], to=new[ch], author=agent[ch], role=R_AGENT)
        b.status[idx] = new
        still_open = outcome == 3
        b.t[idx] = np.where(still_open, tc + rng.integers(2 * HOUR, 30 * HOUR, n), ts)
        b.fast[idx] = still_open
        b.n_cycles[idx] = np.minimum(b.n_cycles[idx] + 1, 100)
        solved = (outcome == 0) & (b.first_solve[idx] < 0)
        b.first_solve[idx[solved]] = ts[solved]

    def _pending(self, b: _Batch, idx: np.ndarray) -> None:
        ev, rng = self.ev, self.rng
        n = len(idx)
        g = b.off + idx
        e = b.t[idx]
        agent = b.assignee[idx]
        p_reply = np.where(b.n_cycles[idx] <= 2, 0.86, 0.7)
        reply = rng.random(n) < p_reply
        delay = np.clip(rng.lognormal(np.log(14 * HOUR), 1.0, n), 300, 20 * DAY).astype(np.int64)
        enterprise = b.tier[idx] == 0
        autosolve = ~reply & ~enterprise & (rng.random(n) < 0.95)
        late = ~reply & ~autosolve
        r = np.where(reply, e + delay, e + rng.integers(8 * DAY, 30 * DAY, n))
        s = e + AUTOSOLVE_AFTER + rng.integers(0, HOUR, n)
        end = np.where(autosolve, s, r)
        nudge_t = self.snap(e + rng.integers(3 * DAY, 4 * DAY, n))
        nudge = (nudge_t < end - 60) & (rng.random(n) < np.where(reply, 0.5, 0.65))
        ev.add(
            g[nudge],
            nudge_t[nudge],
            K_COMMENT,
            author=agent[nudge],
            role=R_AGENT,
            public=1,
            fam=F_NUDGE,
        )
        back = np.flatnonzero(~autosolve)
        ev.add(
            g[back],
            r[back],
            K_COMMENT,
            author=A_REQUESTER,
            role=R_USER,
            public=1,
            fam=np.where(late[back], F_CUSTOMER_LATE, F_CUSTOMER_REPLY),
        )
        ev.add(g[back], r[back] + 1, K_STATUS, fr=PENDING, to=OPEN, author=A_REQUESTER, role=R_USER)
        a = np.flatnonzero(autosolve)
        ev.add(
            g[a], s[a], K_COMMENT, author=A_SYSTEM, role=R_SYSTEM, public=1, fam=F_SYSTEM_AUTOSOLVE
        )
        ev.add(g[a], s[a] + 1, K_STATUS, fr=PENDING, to=SOLVED, author=A_SYSTEM, role=R_SYSTEM)
        b.status[idx] = np.where(autosolve, SOLVED, OPEN)
        b.t[idx] = end + 1
        b.fast[idx] = False
        b.autosolved[idx] = autosolve
        first = autosolve & (b.first_solve[idx] < 0)
        b.first_solve[idx[first]] = s[first] + 1

    def _hold(self, b: _Batch, idx: np.ndarray) -> None:
        ev, rng = self.ev, self.rng
        g = b.off + idx
        h = self.snap(b.t[idx] + rng.integers(DAY // 2, 6 * DAY, len(idx)))
        agent = b.assignee[idx]
        ev.add(g, h, K_COMMENT, author=agent, role=R_AGENT, public=0, fam=F_NOTE_HOLD_DONE)
        ev.add(g, h + 1, K_STATUS, fr=HOLD, to=OPEN, author=agent, role=R_AGENT)
        b.status[idx] = OPEN
        b.t[idx] = h + 1
        b.fast[idx] = True

    def _solved(self, b: _Batch, idx: np.ndarray) -> None:
        ev, rng = self.ev, self.rng
        n = len(idx)
        g = b.off + idx
        s = b.t[idx]
        p = np.where(b.n_reopen[idx] == 0, 0.11, 0.05)
        p = np.where(b.autosolved[idx], 0.04, p)
        p = np.where(b.n_reopen[idx] >= 2, 0.0, p)
        reopen = rng.random(n) < p
        late = reopen & (rng.random(n) < 0.25)
        early = reopen & ~late
        close_t = s + CLOSE_AFTER + rng.integers(0, HOUR, n)
        closes = ~early
        c = np.flatnonzero(closes)
        ev.add(g[c], close_t[c], K_STATUS, fr=SOLVED, to=CLOSED, author=A_SYSTEM, role=R_SYSTEM)
        r = np.where(
            early,
            s + np.clip(rng.lognormal(np.log(20 * HOUR), 1.0, n), 600, 3.8 * DAY).astype(np.int64),
            s + rng.integers(8 * DAY, 25 * DAY, n),
        )
        o = np.flatnonzero(reopen)
        ev.add(
            g[o],
            r[o],
            K_COMMENT,
            author=A_REQUESTER,
            role=R_USER,
            public=1,
            fam=np.where(late[o], F_CUSTOMER_LATE, F_CUSTOMER_REOPEN),
        )
        ev.add(
            g[o],
            r[o] + 1,
            K_STATUS,
            fr=np.where(late[o], CLOSED, SOLVED),
            to=OPEN,
            author=A_REQUESTER,
            role=R_USER,
        )
        # satisfaction survey on the final solve
        rate = ~reopen & (rng.random(n) < np.where(b.autosolved[idx], 0.1, 0.38))
        good = rng.random(n) < np.where(b.n_reopen[idx] > 0, 0.6, 0.82)
        rt = s + rng.integers(HOUR // 2, 3 * DAY, n)
        k = np.flatnonzero(rate)
        ev.add(g[k], rt[k], K_RATING, to=good[k].astype(np.int32), role=R_USER)
        b.status[idx] = np.where(reopen, OPEN, CLOSED)
        b.t[idx] = np.where(reopen, r + 1, close_t)
        b.active[idx] = reopen
        b.n_reopen[idx] += reopen
        b.fast[idx] = False
        b.autosolved[idx] = False

    def spawn(self) -> None:
        """Second batch: recontacts after a solve and "any update?" follow-ups."""
        rng = self.rng
        b = self.batches[0]
        n = b.n
        has_solve = (b.first_solve >= 0) & ~b.deleted
        recon = has_solve & (rng.random(n) < 0.07)
        rc_t = b.first_solve + rng.integers(600, 7 * DAY + 1, n)
        waited = (b.first_touch >= 0) & (b.first_touch - b.created > 30 * HOUR)
        fol = waited & (rng.random(n) < 0.25)
        lo = b.created + 24 * HOUR
        hi = np.minimum(b.created + 72 * HOUR, b.first_touch - 600)
        fol &= hi > lo
        fu_t = lo + (rng.random(n) * np.maximum(hi - lo, 1)).astype(np.int64)
        r = np.flatnonzero(recon & (rc_t < self.horizon))
        f = np.flatnonzero(fol & (fu_t < self.horizon))
        same = rng.random(len(r)) < 0.7
        rc_driver = np.where(same, b.driver[r], rng.integers(0, len(DRIVERS), len(r)))
        created = np.concatenate([rc_t[r], fu_t[f]])
        if not len(created):
            return
        nb = self.new_batch(
            created,
            np.concatenate([rc_driver, b.driver[f]]).astype(np.int16),
            requester=np.concatenate([b.requester[r], b.requester[f]]),
            spawn=1,
            parent=np.concatenate([r, f]).astype(np.int32) + b.off,
        )
        nb.spawn[len(r) :] = 2
        self.run(nb)

    # -- assembling -------------------------------------------------------------------------

    def attributes(self) -> dict[str, np.ndarray]:
        names = (
            "created",
            "requester",
            "channel",
            "driver",
            "spawn",
            "parent",
            "tier",
            "org",
            "driver2",
            "gtag",
            "atag",
            "prio0",
            "prio1",
            "ttype",
            "agent",
            "agent_created",
            "created_solved",
            "deleted",
            "subj",
            "desc",
            "pii",
            "num",
            "product",
            "status",
        )
        return {k: np.concatenate([getattr(b, k) for b in self.batches]) for k in names}


_LOOKUPS: dict[tuple[str | None, ...], pl.Series] = {}


def _lookup(values: list[str] | tuple[str, ...], codes: np.ndarray) -> pl.Series:
    """``values[code]`` per code, null where the code is negative."""
    key = tuple(values)
    s = _LOOKUPS.get(key)
    if s is None:
        s = _LOOKUPS.setdefault(key, pl.Series(values=[*values, None], dtype=pl.String))
    return s.gather(np.where(codes < 0, len(values), codes))


def _text_table(drivers: list[str]) -> pl.Series:
    """Comment contents indexed by (family, driver, content variant)."""
    out: list[str] = []
    for fam in range(N_FAMILIES):
        for d in drivers:
            key = d if d in DRIVERS else "*"
            if fam in (F_REPLY_SOLVE, F_INSTANT_SOLVE):
                pool = SOLVE_REPLIES[key]
            elif fam == F_REPLY_ASK:
                pool = ASK_REPLIES[key] + GENERIC_ASK
            else:
                pool = GENERIC_FAMILIES.get(fam, ("",))
            for content in range(N_VARIANTS):
                text = pool[content % len(pool)]
                if fam == F_INSTANT_SOLVE:
                    text = "Resolved while we spoke. " + text
                out.append(text)
    return pl.Series("tpl", out, dtype=pl.String)


def _placeholders(texts: pl.Series) -> tuple[str, ...]:
    """The placeholders that occur in ``texts``."""
    return tuple(k for k in PLACEHOLDERS if texts.str.contains("{" + k + "}", literal=True).any())


def _fill(expr: pl.Expr, values: dict[str, pl.Expr]) -> pl.Expr:
    for key, value in values.items():
        expr = expr.str.replace_all("{" + key + "}", value, literal=True)
    return expr


def _order(*keys: np.ndarray) -> np.ndarray:
    """Indices that sort by ``keys`` (first key first); keys are non-negative and unique
    together, so the order does not depend on the sort algorithm."""
    bits = [max(1, int(k.max()).bit_length()) if len(k) else 1 for k in keys]
    if sum(bits) > 63:
        return np.lexsort(keys[::-1])
    packed = np.zeros(len(keys[0]), np.int64)
    for k, b in zip(keys, bits, strict=True):
        packed = (packed << b) | k.astype(np.int64)
    return np.argsort(packed)


class _Writer:
    """Turns the simulated events into daily export files and the truth frames."""

    def __init__(self, sim: _Sim, root: Path) -> None:
        self.sim = sim
        self.cfg = sim.cfg
        self.root = root
        a = sim.attributes()
        self.a = a
        nt = len(a["created"])
        self.nt = nt
        order = np.lexsort((np.arange(nt), a["created"]))
        self.rank = np.empty(nt, np.int64)
        self.rank[order] = np.arange(nt)
        self.ticket_num = FIRST_TICKET_NUMBER + self.rank
        self.tid = pl.Series(self.ticket_num).cast(pl.String)
        e = sim.ev.collect()
        keep = np.flatnonzero(e["t"] < sim.horizon)
        self.t0 = int(sim.bounds[0])
        perm = keep[_order(e["tix"][keep], e["t"][keep] - self.t0, e["ord"][keep])]
        self.e = {k: v[perm] for k, v in e.items()}
        del e, keep, perm
        self.win = sim.bounds[WARMUP_DAYS : WARMUP_DAYS + self.cfg.days + 1]
        self.dates = sim.dates[WARMUP_DAYS : WARMUP_DAYS + self.cfg.days]
        self.e["var"] = sim.rng.integers(0, N_VARIANTS**2, len(self.e["t"])).astype(np.int8)
        self._names()
        self._texts()
        self._derive()

    # -- names and texts -------------------------------------------------------------------

    def _names(self) -> None:
        sim = self.sim
        first = np.asarray(FIRST_NAMES)[sim.req_first]
        last = np.asarray(LAST_NAMES)[sim.req_last]
        self.req_id = pl.Series([f"u-{i:06d}" for i in range(sim.n_requesters)])
        self.req_firstname = pl.Series(first.tolist(), dtype=pl.String)
        self.req_lastname = pl.Series(last.tolist(), dtype=pl.String)
        self.req_email = pl.Series(
            [
                f"{f.lower()}.{la.lower()}{n}@{MAIL_DOMAINS[d]}"
                for f, la, n, d in zip(first, last, sim.req_mailnum, sim.req_domain, strict=True)
            ]
        )
        self.req_phone = pl.Series(
            [f"+1 {p // 10_000:03d}-555-{p % 10_000:04d}" for p in sim.req_phone]
        )
        self.org_id = [f"org-{i:05d}" for i in range(sim.n_orgs)]
        self.agent_id = [f"a-{i + 1:03d}" for i in range(sim.n_agents)]
        self.agent_name = [
            AGENT_FIRST[i % len(AGENT_FIRST)] + ("" if i < len(AGENT_FIRST) else f" {i}")
            for i in range(sim.n_agents)
        ]
        # one table for event values: statuses, priorities, agents
        self.value_table = pl.Series(
            [*STATUSES, *PRIORITIES, *self.agent_id, None], dtype=pl.String
        )
        # one table for authors: agents, system, the trigger, requesters
        self.author_table = pl.concat(
            [pl.Series([*self.agent_id, "system", BOT_ID], dtype=pl.String), self.req_id]
        )

    def _texts(self) -> None:
        drivers = self.sim.drivers
        self.texts = _text_table(drivers)
        self.comment_placeholders = _placeholders(self.texts)
        subjects: list[str] = []
        descriptions: list[str] = []
        for d in drivers:
            key = d if d in DRIVERS else "*"
            subjects.extend(SUBJECTS[key])
            descriptions.extend(DESCRIPTIONS[key])
        subjects.extend(FOLLOWUP_SUBJECTS)
        descriptions.extend(FOLLOWUP_DESCRIPTIONS)
        self.subject_pool = pl.Series(subjects, dtype=pl.String)
        self.description_pool = pl.Series(descriptions, dtype=pl.String)
        self._tag_tables()
        self.subject_s, self.description_s = self._subject_description(np.arange(self.nt))

    def _tag_tables(self) -> None:
        """Every combination of a ticket's tags, as ``;``-joined text and as a list."""
        drivers = self.sim.drivers
        texts: list[str] = []
        lists: list[list[str]] = []
        for d1 in range(len(drivers)):
            for d2 in range(-1, len(drivers)):
                for g in range(-1, len(GENERIC_TAGS)):
                    for x in range(-1, len(ADDED_TAGS)):
                        tags = [drivers[d1]]
                        tags += [drivers[d2]] if d2 >= 0 else []
                        tags += [GENERIC_TAGS[g]] if g >= 0 else []
                        tags += [ADDED_TAGS[x]] if x >= 0 else []
                        texts.append(";".join(tags))
                        lists.append(tags)
        self.tag_text = pl.Series(texts, dtype=pl.String)
        self.tag_list = pl.Series(lists, dtype=pl.List(pl.String))

    def _tags(self, ti: np.ndarray, tagged: np.ndarray, *, as_list: bool) -> pl.Series:
        """Tags of tickets ``ti``, with the agent-added tag where ``tagged``."""
        a = self.a
        nd, ng, na = len(self.sim.drivers), len(GENERIC_TAGS), len(ADDED_TAGS)
        x = np.where(tagged > 0, a["atag"][ti], -1).astype(np.int64)
        code = (
            (
                (a["driver"][ti].astype(np.int64) * (nd + 1) + a["driver2"][ti] + 1) * (ng + 1)
                + a["gtag"][ti]
                + 1
            )
            * (na + 1)
            + x
            + 1
        )
        return (self.tag_list if as_list else self.tag_text).gather(code)

    def _values(self, ti: np.ndarray, keys: tuple[str, ...]) -> dict[str, pl.Series]:
        """Placeholder values for tickets ``ti``."""
        a = self.a
        req = a["requester"][ti]
        makers = {
            "first": lambda: self.req_firstname.gather(req),
            "last": lambda: self.req_lastname.gather(req),
            "email": lambda: self.req_email.gather(req),
            "phone": lambda: self.req_phone.gather(req),
            "n": lambda: pl.Series(a["num"][ti]).cast(pl.String),
            "product": lambda: _lookup(PRODUCTS, a["product"][ti].astype(np.int64)),
            "card": lambda: _lookup(TEST_CARDS, (a["num"][ti] % len(TEST_CARDS)).astype(np.int64)),
            "tag": lambda: _lookup(self.sim.drivers, a["driver"][ti].astype(np.int64)),
            "ticket": lambda: self.tid.gather(ti),
        }
        return {k: makers[k]() for k in keys}

    def _subject_description(self, ti: np.ndarray) -> tuple[pl.Series, pl.Series]:
        """Subject and description of tickets ``ti`` (the description is the first comment)."""
        a = self.a
        drv = a["driver"][ti].astype(np.int64)
        followup = a["spawn"][ti] == 2
        code = np.where(followup, len(self.sim.drivers), drv) * N_VARIANTS + a["subj"][ti]
        dv = a["desc"][ti].astype(np.int64)
        values = self._values(ti, PLACEHOLDERS)
        df = pl.DataFrame(
            {
                "s": self.subject_pool.gather(code),
                "is_call": a["agent_created"][ti],
                "open": _lookup(DESCRIPTION_OPENERS, dv % len(DESCRIPTION_OPENERS)),
                "body": self.description_pool.gather(code),
                "pii": _lookup(PII_SENTENCES, a["pii"][ti].astype(np.int64)),
                "close": _lookup(DESCRIPTION_CLOSERS, (dv // 7) % len(DESCRIPTION_CLOSERS)),
                **values,
            }
        )

        def fill(col: str, pool: tuple[str, ...] | pl.Series) -> pl.Expr:
            keys = _placeholders(pl.Series(list(pool), dtype=pl.String))
            return _fill(pl.col(col), {k: pl.col(k) for k in keys})

        call = pl.concat_str(
            [
                pl.lit("Phone call with "),
                pl.col("first"),
                pl.lit(" "),
                pl.col("last"),
                pl.lit(" ("),
                pl.col("phone"),
                pl.lit("). Customer says: "),
            ]
        )
        body = fill("body", self.description_pool)
        customer = pl.concat_str(
            [
                pl.col("open"),
                body,
                fill("pii", PII_SENTENCES),
                fill("close", DESCRIPTION_CLOSERS),
            ]
        )
        out = df.select(
            fill("s", self.subject_pool).alias("subject"),
            pl.when(pl.col("is_call"))
            .then(pl.concat_str([call, body]))
            .otherwise(customer)
            .alias("description"),
        )
        return out["subject"], out["description"]

    # -- state at every snapshot row ---------------------------------------------------------

    def _derive(self) -> None:
        e, a = self.e, self.a
        n = len(e["t"])
        tix, kind, to = e["tix"], e["kind"], e["to"]
        idx = np.arange(n)
        newt = np.ones(n, bool)
        newt[1:] = tix[1:] != tix[:-1]
        seg = np.maximum.accumulate(np.where(newt, idx, 0)) if n else idx
        # export day of each event; warmup days collapse to -1
        e_day = np.searchsorted(self.win, e["t"], side="right") - 1
        e_day[e["t"] < self.win[0]] = -1
        nxt_same = np.r_[~newt[1:], False] if n else newt
        day_next = np.r_[e_day[1:], -2] if n else e_day
        # the last event of each (ticket, day): where the snapshot rows come from
        k = np.flatnonzero(~nxt_same | (day_next != e_day))
        self.k = k
        seg_k = seg[k]

        def state(valid: np.ndarray, values: np.ndarray, default: np.ndarray) -> np.ndarray:
            pos = np.maximum.accumulate(np.where(valid, idx, -1))[k] if n else k
            return np.where(pos >= seg_k, values[np.maximum(pos, 0)], default)

        st = kind == K_STATUS
        solve = st & (to == SOLVED)
        tk = tix[k]
        self.k_status = state(st, to, np.full(len(k), NEW)).astype(np.int8)
        self.k_solved = state(solve, e["t"], np.full(len(k), -1, np.int64))
        self.k_prio = state(kind == K_PRIORITY, to, a["prio0"][tk].astype(np.int32))
        self.k_assignee = state(kind == K_ASSIGN, to, np.full(len(k), -1, np.int32))
        self.k_tagged = state(kind == K_TAG, to, np.zeros(len(k), np.int32))
        self.k_rating = state(kind == K_RATING, to, np.full(len(k), -1, np.int32))
        self.k_day = e_day[k]
        # first reply: first public agent comment, the creation comment of phone tickets aside
        reply = (kind == K_COMMENT) & (e["role"] == R_AGENT) & (e["public"] == 1)
        reply &= e["fam"] != F_PHONE_NOTE
        self.first_reply = self._first_per_ticket(reply, newt)
        self.first_meaningful = self._first_per_ticket(reply & (e["fam"] != F_AUTO_ACK), newt)
        self.first_solve = self._first_per_ticket(solve, newt)
        self.last_solve = np.full(self.nt, -1, np.int64)
        si = np.flatnonzero(solve)
        self.last_solve[tix[si]] = e["t"][si]  # time order within a ticket: the last one wins
        last = np.flatnonzero(~nxt_same[k])  # positions in k of each ticket's last event
        self.final_status = np.full(self.nt, NEW, np.int8)
        self.final_status[tk[last]] = self.k_status[last]
        self.final_tagged = np.zeros(self.nt, np.int32)
        self.final_tagged[tk[last]] = self.k_tagged[last]
        # snapshot rows (positions in k), and the carried-over backlog for the first export
        self.rows = np.flatnonzero(self.k_day >= 0)
        self.rows_day = self.k_day[self.rows]
        self.dump = np.zeros(0, np.int64)
        if self.cfg.initial_snapshot:
            before = (self.k_day == -1) & ~(nxt_same[k] & (day_next[k] == 0))
            self.dump = np.flatnonzero(before & np.isin(self.k_status, UNSOLVED))

    def _first_per_ticket(self, mask: np.ndarray, newt: np.ndarray) -> np.ndarray:
        """Per ticket, the time of its first event where ``mask`` (events are ticket-ordered)."""
        out = np.full(self.nt, -1, np.int64)
        idx = np.flatnonzero(mask)
        if len(idx):
            tix = self.e["tix"][idx]
            first = np.r_[True, tix[1:] != tix[:-1]]
            out[tix[first]] = self.e["t"][idx[first]]
        return out

    # -- frames ----------------------------------------------------------------------------

    def _ts(self, col: str) -> pl.Expr:
        return (
            pl.when(pl.col(col) >= 0)
            .then(pl.from_epoch(pl.col(col), time_unit="s"))
            .dt.replace_time_zone("UTC")
            .dt.convert_time_zone(self.cfg.timezone)
            .alias(col)
        )

    def ticket_frame(self, rows: np.ndarray) -> pl.DataFrame:
        """Ticket rows as they stood after the snapshot events at positions ``rows`` of k."""
        a = self.a
        ev = self.k[rows]
        ti = self.e["tix"][ev].astype(np.int64)
        t = self.e["t"][ev]
        solved = self.k_solved[rows]
        fr = self.first_reply[ti]
        fr = np.where((fr >= 0) & (fr <= t), fr, -1)
        rating = self.k_rating[rows]
        sat = np.where(rating >= 0, rating, np.where(solved >= 0, 2, 3))
        df = pl.DataFrame(
            {
                "ticket_id": self.tid.gather(ti),
                "created_at": a["created"][ti],
                "updated_at": t,
                "status": _lookup(STATUSES, self.k_status[rows].astype(np.int64)),
                "requester_id": self.req_id.gather(a["requester"][ti]),
                "priority": _lookup(PRIORITIES, self.k_prio[rows].astype(np.int64)),
                "type": _lookup(TYPES, a["ttype"][ti].astype(np.int64)),
                "channel": _lookup(CHANNELS, a["channel"][ti].astype(np.int64)),
                "group_name": _lookup(
                    [*GROUPS, *(["Tier 1"] * (len(self.sim.drivers) - len(GROUPS)))],
                    a["driver"][ti].astype(np.int64),
                ),
                "assignee_id": _lookup(self.agent_id, self.k_assignee[rows].astype(np.int64)),
                "organization_id": _lookup(self.org_id, a["org"][ti].astype(np.int64)),
                "customer_tier": _lookup(TIERS, a["tier"][ti].astype(np.int64)),
                "subject": self.subject_s.gather(ti),
                "description": self.description_s.gather(ti),
                "tags": self._tags(ti, self.k_tagged[rows], as_list=self.cfg.fmt != "csv"),
                "solved_at": solved,
                "first_reply_at": fr,
                "satisfaction": _lookup(SATISFACTION, sat.astype(np.int64)),
            }
        )
        return df.with_columns(
            self._ts(c) for c in ("created_at", "updated_at", "solved_at", "first_reply_at")
        )

    def _comment_bodies(self, idx: np.ndarray) -> pl.Series:
        """Bodies of the comment events at ``idx`` (descriptions excepted)."""
        e, a = self.e, self.a
        ti = e["tix"][idx].astype(np.int64)
        fam = e["fam"][idx].astype(np.int64)
        author = e["author"][idx].astype(np.int64)
        var = e["var"][idx].astype(np.int64)
        content, wording = var // N_VARIANTS, var % N_VARIANTS
        # a resolution matches the problem in the subject
        aligned = np.isin(fam, [F_REPLY_SOLVE, F_INSTANT_SOLVE])
        content = np.where(aligned, a["subj"][ti], content)
        code = (fam * len(self.sim.drivers) + a["driver"][ti]) * N_VARIANTS + content
        agent_reply = np.isin(fam, AGENT_PUBLIC_FAMILIES)
        customer = np.isin(fam, CUSTOMER_FAMILIES)
        opener = np.where(agent_reply, wording, -1)
        closer = np.where(agent_reply, (wording * 5 + content) % N_VARIANTS, -1)
        c_closer = np.where(customer, (wording * 7 + content) % N_VARIANTS, -1)
        values = self._values(ti, self.comment_placeholders)
        df = pl.DataFrame(
            {
                "tpl": self.texts.gather(code),
                "opener": _lookup(AGENT_OPENERS, opener),
                "closer": _lookup(AGENT_CLOSERS, closer),
                "c_closer": _lookup(CUSTOMER_CLOSERS, c_closer),
                "first_name": self.req_firstname.gather(a["requester"][ti]),
                "agent": _lookup(self.agent_name, np.where(author >= 0, author, -1)),
                **values,
            }
        )
        body = pl.concat_str(
            [
                pl.col("opener").str.replace("{first}", pl.col("first_name"), literal=True),
                _fill(pl.col("tpl"), {k: pl.col(k) for k in values}),
                pl.col("closer").str.replace("{agent}", pl.col("agent"), literal=True),
                pl.col("c_closer").str.replace("{first}", pl.col("first_name"), literal=True),
            ],
            ignore_nulls=True,
        )
        return df.select(body.alias("body")).to_series()

    def _author_codes(self, author: np.ndarray, ti: np.ndarray) -> np.ndarray:
        na = len(self.agent_id)
        return np.select(
            [author >= 0, author == A_SYSTEM, author == A_BOT],
            [author, na, na + 1],
            default=na + 2 + self.a["requester"][ti],
        )

    def event_frame(self, idx: np.ndarray, event_num: np.ndarray) -> pl.DataFrame:
        """Event rows for the (time-ordered) event indices ``idx``."""
        e = self.e
        n = len(idx)
        ti = e["tix"][idx].astype(np.int64)
        kind = e["kind"][idx].astype(np.int64)
        fam = e["fam"][idx].astype(np.int64)
        public = e["public"][idx]
        none = len(self.value_table) - 1
        n_status, n_prio = len(STATUSES), len(PRIORITIES)

        def values(code: np.ndarray) -> pl.Series:
            code = code.astype(np.int64)
            out = np.select(
                [
                    (kind == K_STATUS) & (code >= 0),
                    kind == K_PRIORITY,
                    (kind == K_ASSIGN) & (code >= 0),
                ],
                [code, n_status + code, n_status + n_prio + code],
                default=none,
            )
            return self.value_table.gather(out)

        from_value, to_value = values(e["fr"][idx]), values(e["to"][idx])
        tg = np.flatnonzero(kind == K_TAG)
        if len(tg):
            zeros, ones = np.zeros(len(tg), np.int32), np.ones(len(tg), np.int32)
            from_value = from_value.scatter(tg, self._tags(ti[tg], zeros, as_list=False))
            to_value = to_value.scatter(tg, self._tags(ti[tg], ones, as_list=False))
        body = pl.repeat(None, n, dtype=pl.String, eager=True)
        is_comment = kind == K_COMMENT
        first = np.isin(fam, [F_DESCRIPTION, F_PHONE_NOTE])
        cm = np.flatnonzero(is_comment & ~first)
        if len(cm):
            body = body.scatter(cm, self._comment_bodies(idx[cm]))
        ds = np.flatnonzero(is_comment & first)
        if len(ds):
            body = body.scatter(ds, self.description_s.gather(ti[ds]))
        author = e["author"][idx].astype(np.int64)
        out = pl.DataFrame(
            {
                "event_id": pl.Series(event_num).cast(pl.String),
                "ticket_id": self.tid.gather(ti),
                "occurred_at": e["t"][idx],
                "kind": _lookup(KINDS, kind),
                "from_value": from_value,
                "to_value": to_value,
                "author_id": self.author_table.gather(self._author_codes(author, ti)),
                "author_role": _lookup(ROLES, e["role"][idx].astype(np.int64)),
                "public": pl.Series(public == 1).zip_with(
                    pl.Series(public >= 0), pl.repeat(None, n, dtype=pl.Boolean, eager=True)
                ),
                "body": body,
            }
        )
        return out.with_columns(self._ts("occurred_at"))

    # -- files ----------------------------------------------------------------------------------

    def _write(self, df: pl.DataFrame, path: Path) -> None:
        if self.cfg.fmt == "csv":
            df.write_csv(path, datetime_format="%Y-%m-%dT%H:%M:%S%:z")
        elif self.cfg.fmt == "jsonl":
            df.write_ndjson(path)
        else:
            df.write_parquet(path)

    def write(self) -> tuple[list[Path], int, int]:
        cfg, e = self.cfg, self.e
        files: list[Path] = []
        # ticket rows per day: ordered by updated_at, then ticket number
        rows = np.concatenate([self.rows, self.dump])
        rday = np.concatenate([self.rows_day, np.zeros(len(self.dump), np.int64)])
        ev = self.k[rows]
        rows = rows[_order(rday, e["t"][ev] - self.t0, self.rank[e["tix"][ev]])]
        rday = self.k_day[rows].clip(0)
        rcut = np.searchsorted(rday, np.arange(cfg.days + 1))
        # events: exported kinds in time order; ids follow that order
        ex = np.flatnonzero(e["kind"] != K_RATING)
        eo = ex[_order(e["t"][ex] - self.t0, self.rank[e["tix"][ex]], e["ord"][ex])]
        enum = FIRST_EVENT_NUMBER + np.arange(len(eo))
        ecut = np.searchsorted(e["t"][eo], self.win, side="left")
        for d in self.dates:
            folder = self.root / d.isoformat()
            folder.mkdir(parents=True, exist_ok=True)
            for name in ("tickets", "events"):
                for ext in ("csv", "jsonl", "parquet"):
                    p = folder / f"{name}.{ext}"
                    wanted = ext == cfg.fmt and (name == "tickets" or cfg.with_events)
                    if not wanted and p.exists():
                        p.unlink()
        # frames are built for chunks of days at once, sliced per day, and written by a
        # worker thread while the next chunk is built
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending: list[Future[None]] = []
            first = 0
            while first < cfg.days:
                last = first + 1
                while last < cfg.days and (
                    rcut[last + 1] - rcut[first] + ecut[last + 1] - ecut[first] < CHUNK_ROWS
                ):
                    last += 1
                tickets = self.ticket_frame(rows[rcut[first] : rcut[last]])
                events = None
                if cfg.with_events:
                    span = slice(ecut[first], ecut[last])
                    events = self.event_frame(eo[span], enum[span])
                for f in pending:
                    f.result()
                pending = []
                for i in range(first, last):
                    folder = self.root / self.dates[i].isoformat()
                    path = folder / f"tickets.{cfg.fmt}"
                    part = tickets.slice(rcut[i] - rcut[first], rcut[i + 1] - rcut[i])
                    pending.append(pool.submit(self._write, part, path))
                    files.append(path)
                    if events is not None:
                        path = folder / f"events.{cfg.fmt}"
                        part = events.slice(ecut[i] - ecut[first], ecut[i + 1] - ecut[i])
                        pending.append(pool.submit(self._write, part, path))
                        files.append(path)
                first = last
            for f in pending:
                f.result()
        n_ticket_rows = int(rcut[cfg.days] - rcut[0])
        n_events = int(ecut[cfg.days] - ecut[0]) if cfg.with_events else 0
        return files, n_ticket_rows, n_events

    # -- truth ----------------------------------------------------------------------------------

    def _utc(self, secs: np.ndarray) -> pl.Series:
        s = pl.Series(secs.astype(np.int64))
        return pl.select(
            pl.when(s >= 0).then(pl.from_epoch(s, time_unit="s")).dt.replace_time_zone("UTC")
        ).to_series()

    def truth(self) -> dict[str, object]:
        e, a = self.e, self.a
        nt = self.nt
        tix = e["tix"]
        st = np.flatnonzero(e["kind"] == K_STATUS)
        by_time = st[_order(e["t"][st] - self.t0, self.rank[tix[st]], e["ord"][st])]
        transitions = pl.DataFrame(
            {
                "ticket_id": self.tid.gather(tix[by_time]),
                "at": self._utc(e["t"][by_time]),
                "from_status": _lookup(STATUSES, e["fr"][by_time].astype(np.int64)),
                "to_status": _lookup(STATUSES, e["to"][by_time].astype(np.int64)),
            }
        )
        cm = np.flatnonzero(e["kind"] == K_COMMENT)
        cm = cm[_order(e["t"][cm] - self.t0, self.rank[tix[cm]], e["ord"][cm])]
        author = e["author"][cm].astype(np.int64)
        comments = pl.DataFrame(
            {
                "ticket_id": self.tid.gather(tix[cm]),
                "at": self._utc(e["t"][cm]),
                "author_id": self.author_table.gather(
                    self._author_codes(author, tix[cm].astype(np.int64))
                ),
                "author_role": _lookup(ROLES, e["role"][cm].astype(np.int64)),
                "public": e["public"][cm] == 1,
                "auto_ack": e["fam"][cm] == F_AUTO_ACK,
                "creation_comment": np.isin(e["fam"][cm], [F_PHONE_NOTE, F_DESCRIPTION]),
            }
        )
        fr, to = e["fr"][st], e["to"][st]
        reopen = np.isin(fr, [SOLVED, CLOSED]) & np.isin(to, UNSOLVED)
        n_reopen = np.bincount(tix[st][reopen], minlength=nt)
        parent = a["parent"]
        by_id = np.argsort(self.rank)
        facts = pl.DataFrame(
            {
                "ticket_id": self.tid,
                "created_at": self._utc(a["created"]),
                "requester_id": self.req_id.gather(a["requester"]),
                "channel": _lookup(CHANNELS, a["channel"].astype(np.int64)),
                "priority": _lookup(PRIORITIES, a["prio1"].astype(np.int64)),
                "customer_tier": _lookup(TIERS, a["tier"].astype(np.int64)),
                "driver": _lookup(self.sim.drivers, a["driver"].astype(np.int64)),
                "tags": self._tags(np.arange(nt), self.final_tagged, as_list=True),
                "agent_created": a["agent_created"],
                "created_solved": a["created_solved"],
                "deleted": self.final_status == DELETED,
                "spawn": _lookup(["recontact", "followup"], a["spawn"].astype(np.int64) - 1),
                "parent_ticket_id": pl.concat(
                    [self.tid, pl.Series([None], dtype=pl.String)]
                ).gather(np.where(parent < 0, nt, parent)),
                "first_reply_at": self._utc(self.first_reply),
                "first_meaningful_reply_at": self._utc(self.first_meaningful),
                "first_solved_at": self._utc(self.first_solve),
                "last_solved_at": self._utc(self.last_solve),
                "status": _lookup(STATUSES, self.final_status.astype(np.int64)),
                "reopens": n_reopen,
            }
        )[by_id]
        daily, stale_tickets = self._daily(st)
        return {
            "transitions": transitions,
            "comments": comments,
            "facts": facts,
            "daily": daily,
            "reopens_in_window": int((reopen & (e["t"][st] >= self.win[0])).sum()),
            "reopens": int(reopen.sum()),
            "stale_tickets": stale_tickets,
        }

    def _daily(self, st: np.ndarray) -> tuple[pl.DataFrame, int]:
        """SPEC 5 daily flow from the truth, deleted tickets left out."""
        e = self.e
        sim = self.sim
        nd = self.cfg.days
        keep_ticket = self.final_status != DELETED
        st = st[keep_ticket[e["tix"][st]]]
        t = e["t"][st]
        fr = e["fr"][st]
        to = e["to"][st]
        day = np.searchsorted(sim.bounds, t, side="right") - 1  # simulation day
        nsd = sim.n_sim
        uns = np.zeros(8, bool)
        uns[list(UNSOLVED)] = True
        from_uns = np.where(fr >= 0, uns[np.maximum(fr, 0)], False)
        to_uns = uns[to]
        inflow = np.bincount(day[fr < 0], minlength=nsd)
        outflow = np.bincount(day[from_uns & ~to_uns], minlength=nsd)
        reopened = np.bincount(day[(fr >= 0) & ~from_uns & to_uns], minlength=nsd)
        by_status = {}
        for s in UNSOLVED:
            delta = np.bincount(day[to == s], minlength=nsd) - np.bincount(
                day[fr == s], minlength=nsd
            )
            by_status[STATUSES[s]] = np.cumsum(delta)[WARMUP_DAYS:nsd]
        backlog = sum(by_status.values())
        # stale: pending entered >= 5 days before the end of D, no end-user event since
        user = np.flatnonzero(np.isin(e["kind"], [K_COMMENT, K_STATUS]) & (e["role"] == R_USER))
        never = np.iinfo(np.int64).max // 4
        span = np.int64(1) << 34
        base = int(sim.bounds[0]) - DAY
        ukey = e["tix"][user].astype(np.int64) * span + (e["t"][user] - base)
        pend = np.flatnonzero(to == PENDING)
        ptix = e["tix"][st[pend]].astype(np.int64)
        # the next status transition of the same ticket (st is ticket/time ordered)
        nxt = np.minimum(pend + 1, len(st) - 1)
        has_next = (pend + 1 < len(st)) & (e["tix"][st[nxt]] == ptix)
        x = np.where(has_next, t[nxt], never)
        # the first end-user event after the entry into pending
        pkey = ptix * span + (t[pend] - base)
        j = np.searchsorted(ukey, pkey, side="right")
        if len(ukey):
            jj = np.minimum(j, len(ukey) - 1)
            same = (j < len(ukey)) & (ukey[jj] // span == ptix)
            u = np.where(same, ukey[jj] % span + base, never)
        else:
            u = np.full(len(pkey), never)
        until = np.minimum(x, u)
        ends = self.win[1:]
        lo = np.searchsorted(ends, t[pend] + STALE_AFTER, side="left")
        hi = np.searchsorted(ends, until, side="right")
        stale = np.zeros(nd + 1, np.int64)
        valid = hi > lo
        np.add.at(stale, lo[valid], 1)
        np.add.at(stale, hi[valid], -1)
        stale_daily = np.cumsum(stale)[:nd]
        stale_tickets = len(np.unique(ptix[valid]))
        w = slice(WARMUP_DAYS, nsd)
        daily = pl.DataFrame(
            {
                "date": self.dates,
                "inflow": inflow[w],
                "outflow": outflow[w],
                "reopened": reopened[w],
                "backlog": backlog,
                **{f"backlog_{k}": v for k, v in by_status.items()},
                "stale": stale_daily,
                "agents_available": sim.avail[w].astype(np.int64),
            }
        )
        return daily, stale_tickets


def generate_exports(root: Path, cfg: SyntheticConfig) -> GeneratedHistory:
    """Simulate a support team and write canonical daily exports under ``root``.

    Args:
        root: Export root; one folder per day is created (files of the chosen format are
            overwritten, canonical files of other formats in those folders are removed).
        cfg: What to simulate.

    Returns:
        The truth the files were written from.
    """
    root = Path(root)
    sim = _Sim(cfg)
    created, driver = sim.base_arrivals()
    sim.run(sim.new_batch(created, driver))
    sim.spawn()
    writer = _Writer(sim, root)
    files, n_rows, n_events = writer.write()
    truth = writer.truth()
    facts: pl.DataFrame = truth["facts"]  # type: ignore[assignment]
    comments: pl.DataFrame = truth["comments"]  # type: ignore[assignment]
    a = writer.a
    first_rows = writer.rows[writer.rows_day == 0]
    old = a["created"][writer.e["tix"][writer.k[first_rows]]] < writer.win[0]
    carried = len(writer.dump) + int(np.sum(old & np.isin(writer.k_status[first_rows], UNSOLVED)))
    counts = {
        "tickets": writer.nt,
        "tickets_in_window": int((a["created"] >= writer.win[0]).sum()),
        "ticket_rows": n_rows,
        "events": n_events,
        "reopens": int(truth["reopens"]),  # type: ignore[call-overload]
        "reopens_in_window": int(truth["reopens_in_window"]),  # type: ignore[call-overload]
        "deleted": int(facts["deleted"].sum()),
        "created_solved": int(a["created_solved"].sum()),
        "agent_created": int(a["agent_created"].sum()),
        "recontacts": int((a["spawn"] == 1).sum()),
        "followups": int((a["spawn"] == 2).sum()),
        "stale_tickets": int(truth["stale_tickets"]),  # type: ignore[call-overload]
        "carried_over": carried,
        "auto_acks": int(comments["auto_ack"].sum()),
    }
    return GeneratedHistory(
        days=list(writer.dates),
        tickets=writer.nt,
        timezone=cfg.timezone,
        window_start=datetime.fromtimestamp(int(writer.win[0]), tz=UTC),
        window_end=datetime.fromtimestamp(int(writer.win[-1]), tz=UTC),
        transitions_frame=truth["transitions"],  # type: ignore[arg-type]
        comments_frame=comments,
        ticket_facts=facts,
        daily=truth["daily"],  # type: ignore[arg-type]
        counts=counts,
        files=files,
        holiday=sim.holiday,
    )
