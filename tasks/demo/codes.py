"""The simulation's codes and parameters: statuses, event kinds, drivers, tags, inflow shapes."""

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
