"""What tickets say: subjects, descriptions and comment templates per driver (the KB themes)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import polars as pl

from tasks.demo.codes import (
    DRIVERS,
    F_AUTO_ACK,
    F_CUSTOMER_LATE,
    F_CUSTOMER_REOPEN,
    F_CUSTOMER_REPLY,
    F_INSTANT_SOLVE,
    F_NOTE_ESCALATE,
    F_NOTE_HOLD_DONE,
    F_NOTE_INTERNAL,
    F_NUDGE,
    F_REPLY_ASK,
    F_REPLY_ESCALATE,
    F_REPLY_SOLVE,
    F_REPLY_WORKING,
    F_SYSTEM_AUTOSOLVE,
    N_FAMILIES,
    N_VARIANTS,
    PLACEHOLDERS,
)

SUBJECTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
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
)
FOLLOWUP_SUBJECTS = (
    "Any update on my request?",
    "Following up on my earlier ticket",
    "Still waiting for an answer",
    "Re: my previous request",
    "Second request - nobody has replied",
    "Hello?? Any news?",
)
# aligned with SUBJECTS: description i goes with subject i
DESCRIPTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
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
            "When I export a report to CSV the {product} crashes. "
            "It started after the last update.",
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
            "The tracking number in the confirmation email shows 'not found' on the "
            "carrier's site.",
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
)
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
SOLVE_REPLIES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
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
            "I opened a claim with the carrier and a replacement for the missing package "
            "ships today.",
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
)
ASK_REPLIES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
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
)
GENERIC_ASK = (
    "Could you send us a screenshot of what you see? That will help us a lot.",
    "To move forward I need a bit more information: when did this start, and does "
    "it happen every time?",
)
GENERIC_FAMILIES: Mapping[int, tuple[str, ...]] = MappingProxyType(
    {
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
            "I have escalated this to our engineering team and will update you as soon as I "
            "hear back.",
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
)


def text_table(drivers: list[str]) -> pl.Series:
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


def placeholders(texts: pl.Series) -> tuple[str, ...]:
    """The placeholders that occur in ``texts``."""
    return tuple(k for k in PLACEHOLDERS if texts.str.contains("{" + k + "}", literal=True).any())


def fill(expr: pl.Expr, values: dict[str, pl.Expr]) -> pl.Expr:
    """``expr`` with every ``{key}`` replaced by its value."""
    for key, value in values.items():
        expr = expr.str.replace_all("{" + key + "}", value, literal=True)
    return expr
