"""The one config object: `backlog.toml`, then `BACKLOG_*` environment variables.

Precedence, highest first: explicit overrides (CLI flags), environment
variables (`BACKLOG_REPORT_TIMEZONE`, nested with `__`, e.g.
`BACKLOG_SLA__URGENT__FIRST_REPLY_MINUTES`), the TOML file, the defaults below.
Slack credentials are deliberately not here: they are read from the
environment only where they are used, so they never travel as values.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings.exceptions import SettingsError

from tasks.business_hours import BusinessHours
from tasks.config_checks import check_cron, check_patterns
from tasks.config_errors import config_error, read_toml, setting_source, unknown_variables
from tasks.contract import TICKETS
from tasks.errors import BacklogError
from tasks.extensions import Extensions

Priority = Literal["urgent", "high", "normal", "low"]
WorkComponent = Literal["impact", "urgency", "customer_value", "sla_risk", "sentiment"]

DEFAULT_ACK_PATTERNS = [
    r"automated (acknowledg|response|reply|message)",
    r"auto(matic)?(ally)?[- ]?(generated|reply|response|message)",
    r"we('ve| have) received your (request|ticket|message|email)",
    r"this is an auto",
]


class Section(BaseModel):
    """A `[section]` of backlog.toml: an unknown key in it is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


class SlaTarget(Section):
    """Targets for one priority, in minutes of calendar time or, with `clock = "business"`,
    of business time (the ticket's [business_hours] schedule)."""

    first_reply_minutes: float = Field(gt=0)
    resolution_minutes: float = Field(gt=0)
    clock: Literal["calendar", "business"] = "calendar"


def _default_sla() -> dict[str, SlaTarget]:
    return {
        "urgent": SlaTarget(first_reply_minutes=10, resolution_minutes=2 * 60),
        "high": SlaTarget(first_reply_minutes=30, resolution_minutes=24 * 60),
        "normal": SlaTarget(first_reply_minutes=4 * 60, resolution_minutes=72 * 60),
        "low": SlaTarget(first_reply_minutes=24 * 60, resolution_minutes=168 * 60),
    }


class DriverSettings(Section):
    """How drivers are found and when one spikes."""

    ignore_tags: list[str] = Field(default_factory=list)
    dimension: str = Field(
        default="tags",
        description='"tags", or "field:<name>": a ticket column or a key of its `extra` JSON '
        "(where unknown export columns, e.g. a Zendesk custom field, land)",
    )
    top_n: int = Field(default=5, ge=1)
    spike_min_tickets: int = Field(default=10, ge=1)
    spike_z: float = Field(default=3.0, gt=0)

    @field_validator("dimension")
    @classmethod
    def _known_dimension(cls, value: str) -> str:
        if value == "tags":
            return value
        if re.fullmatch(r"field:[A-Za-z_][A-Za-z0-9_]*", value):
            # a canonical column as an export names it (`type`), read as staged (`ticket_type`)
            staged = {column.name: column.staged_name for column in TICKETS.columns}
            name = value.removeprefix("field:")
            return f"field:{staged.get(name, name)}"
        raise ValueError(f'{value!r} is not a driver dimension; use "tags" or "field:<name>"')


class SlackSettings(Section):
    """How the digest looks in Slack. Credentials are never here: see tasks/delivery/slack/."""

    ticket_url_template: str | None = Field(
        default=None, description="e.g. https://acme.zendesk.com/agent/tickets/{ticket_id}"
    )
    chart: bool = True
    max_list_items: int = Field(default=5, ge=1, le=20)


class KbSettings(Section):
    """Knowledge-base candidates from clusters of solved tickets ."""

    window_days: int = Field(default=28, ge=7)
    min_cluster_size: int = Field(default=5, ge=2)
    # a larger window is clustered on a sample of this many tickets (by a hash of ticket_id)
    max_cluster_texts: int = Field(default=10_000, ge=50)
    # above max_cluster_texts: days a clustering is reused (new tickets assigned to it)
    recluster_days: int = Field(default=7, ge=1)
    # feature requests belong to the product review, not the knowledge base: tickets of
    # these types or carrying one of these tags are left out of the clusters
    feature_request_types: list[str] = Field(
        default_factory=lambda: ["feature request", "feature_request", "feature"]
    )
    feature_request_tags: list[str] = Field(
        default_factory=lambda: ["feature-request", "feature_request", "feature"]
    )
    # a candidate needs a resolution that recurs: at least this many members whose final
    # replies are alike (chase-ups, feature requests and one-off answers make no article)
    min_shared_resolutions: int = Field(default=3, ge=1)


class QualitySettings(Section):
    """Volume checks and row repairs of each day's export (docs/data-quality.md)."""

    volume_window_days: int = Field(default=14, ge=3)
    volume_min_ratio: float = Field(default=0.5, gt=0, le=1)
    volume_severity: Literal["warn", "fail"] = "warn"
    quarantine_max_share: float = Field(default=0.05, ge=0, le=1)
    quarantine_severity: Literal["warn", "fail"] = "warn"
    # updated_at / solved_at this little before created_at is clock skew: clamped, loaded
    clock_skew_minutes: float = Field(default=5.0, ge=0)


class WorkSettings(Section):
    """What to do this morning: stale nudges, batches, the work-next score."""

    stale_days: float = Field(default=5.0, gt=0)
    batch_min_size: int = Field(default=5, ge=2)
    work_next_size: int = Field(default=10, ge=1)
    nudge_template: str = (
        "Hi, are you still seeing this? If we don't hear back within 48 hours we'll close "
        "this ticket; replying reopens it any time."
    )
    weights: dict[WorkComponent, float] = Field(
        default_factory=lambda: {
            "impact": 0.35,
            "urgency": 0.25,
            "customer_value": 0.20,
            "sla_risk": 0.10,
            "sentiment": 0.10,
        }
    )
    urgency: dict[Priority, float] = Field(
        default_factory=lambda: {"urgent": 1.0, "high": 0.75, "normal": 0.4, "low": 0.1}
    )
    customer_value: dict[str, float] = Field(
        default_factory=lambda: {"enterprise": 1.0, "business": 0.7, "pro": 0.4, "free": 0.1}
    )

    @field_validator("weights", "urgency", "customer_value", mode="before")
    @classmethod
    def _over_defaults(cls, value: Any, info: Any) -> Any:
        return _merged(cls.model_fields[info.field_name].default_factory(), value)

    @field_validator("urgency", "customer_value")
    @classmethod
    def _between_zero_and_one(cls, value: dict[str, float]) -> dict[str, float]:
        for name, component in value.items():
            if not 0 <= component <= 1:
                raise ValueError(f"{name} = {component} must lie in [0, 1]")
        return value


def _merged(defaults: dict[str, float], value: Any) -> Any:
    """A configured map changes only the keys it names."""
    return (
        {**defaults, **{k.lower(): v for k, v in value.items()}}
        if isinstance(value, dict)
        else value
    )


class AlertSettings(Section):
    """Thresholds of the coaching alerts listed first in the digest."""

    inflow_above_outflow_days: int = Field(default=3, ge=1)
    reopen_rate: float = Field(default=0.15, ge=0, le=1)
    backlog_days: float = Field(default=5.0, gt=0)
    oldest_unreplied_hours: float = Field(default=24.0, gt=0)
    same_issue_recontact_rate: float = Field(default=0.10, ge=0, le=1)
    sla_breached_share: float = Field(default=0.25, ge=0, le=1)


class EscalationRule(Section):
    """A field rule: tickets of this tier carrying this tag are raised to this priority."""

    customer_tier: str | None = None
    tag: str | None = None
    priority: Priority = "high"


class EscalationSettings(Section):
    """Words in the customer's own text, and field rules, that raise urgency."""

    keywords: dict[str, Priority] = Field(
        default_factory=lambda: {
            "leak": "urgent",
            "breach": "urgent",
            "exposure": "urgent",
            "security": "urgent",
            "data loss": "urgent",
            "chargeback": "urgent",
        }
    )
    rules: list[EscalationRule] = Field(
        default_factory=lambda: [
            EscalationRule(customer_tier="enterprise", tag="failed-payment", priority="high")
        ]
    )


class MergeSettings(Section):
    """Follow-ups of one requester offered for merging."""

    window_hours: float = Field(default=72.0, gt=0)
    subject_similarity: float = Field(default=0.9, gt=0, le=1)
    follow_up_patterns: list[str] = Field(
        default_factory=lambda: [
            r"any (update|news)",
            r"follow(ing)?[- ]?up",
            r"still waiting",
            r"status (of|on) my",
            r"^(re|fwd?):",
            r"second request",
            r"nobody (has )?(replied|answered|responded)",
        ]
    )

    @field_validator("follow_up_patterns")
    @classmethod
    def _compile(cls, value: list[str]) -> list[str]:
        return check_patterns(value)


class StaffingSettings(Section):
    """The staffing view's target: drain the backlog to this many days of work (docs/metrics.md)."""

    target_backlog_days: float = Field(default=1.0, ge=0)
    drain_within_days: int = Field(default=14, ge=1)


class NatureSettings(Section):
    """Rules that sort tickets by nature; the first nature whose pattern matches wins."""

    rules: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "emotional": [
                r"unacceptable",
                r"angry",
                r"furious",
                r"disappointed",
                r"frustrat",
                r"complain",
                r"terrible",
                r"worst",
            ],
            "advisory": [
                r"best way",
                r"recommend",
                r"should (i|we)",
                r"advice",
                r"which (plan|option)",
                r"is it possible",
                r"can (i|we) use",
            ],
            "lookup": [
                r"where is",
                r"status of",
                r"tracking",
                r"what is my",
                r"when will",
                r"how much",
                r"invoice copy",
                r"find my",
            ],
            "process": [
                r"reset",
                r"change my",
                r"update my",
                r"cancel",
                r"refund",
                r"how (do|can) i",
                r"unlock",
                r"add (a |an )?user",
                r"remove",
                r"export",
            ],
        }
    )
    automatable: list[str] = Field(default_factory=lambda: ["lookup", "process"])

    @field_validator("rules")
    @classmethod
    def _compile(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for patterns in value.values():
            check_patterns(patterns)
        return value


class ModelSettings(Section):
    """How the SQL models are brought up to date (tasks/models/)."""

    # report days an incremental build recomputes, up to the last loaded export; older
    # days keep their rows (late data older than this reaches them with a full rebuild)
    lookback_days: int = Field(default=7, ge=1)


_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(%|b|kb|mb|gb|tb|kib|mib|gib|tib)\s*$", re.IGNORECASE)


class WarehouseSettings(Section):
    """How much of the machine DuckDB may use, and where it spills the rest (warehouse.connect)."""

    # a DuckDB size ("300MB", "4GB", "6GiB") or a share of physical memory ("25%"); past
    # it DuckDB spills to temp_directory. The default leaves three quarters of the
    # machine to the rest (Prefect, Python, the OS cache): README.md, "Memory"
    memory_limit: str = "25%"
    # where DuckDB spills; "" means beside the warehouse: <db_path>.tmp
    temp_directory: str = ""

    @field_validator("memory_limit")
    @classmethod
    def _size(cls, value: str) -> str:
        if not _SIZE.match(value):
            raise ValueError(
                f"{value!r} is not a size; use a DuckDB size such as '300MB' or '4GB', "
                "or a share of memory such as '25%'"
            )
        return value.strip()


class ScheduleSettings(Section):
    """When `backlog serve` runs the flows (cron, in the report time zone)."""

    daily_cron: str = "30 6 * * 1-5"
    weekly_cron: str = "0 7 * * 1"
    post: bool = True
    # the daily run's export source, and whether it first pulls from that helpdesk's API
    source: str = "canonical"
    pull: bool = False

    @field_validator("daily_cron", "weekly_cron")
    @classmethod
    def _cron(cls, value: str, info: Any) -> str:
        return check_cron(value, info.field_name)


class Settings(BaseSettings):
    """Everything a run needs to know, read once and passed on as values."""

    model_config = SettingsConfigDict(
        env_prefix="BACKLOG_", env_nested_delimiter="__", extra="forbid"
    )
    toml_path: ClassVar[Path | None] = None

    exports_dir: Path = Path("exports")
    db_path: Path = Path("backlog.duckdb")
    out_dir: Path = Path("out")
    report_timezone: str = "UTC"
    source_timezone: str = "UTC"
    business_hours: BusinessHours | None = Field(
        default=None,
        description="business-hours schedules (tasks/business_hours.py); none: "
        "every clock is calendar time",
    )
    sla: dict[Priority, SlaTarget] = Field(default_factory=_default_sla)
    ack_patterns: list[str] = Field(default_factory=lambda: list(DEFAULT_ACK_PATTERNS))
    drivers: DriverSettings = Field(default_factory=DriverSettings)
    work: WorkSettings = Field(default_factory=WorkSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    kb: KbSettings = Field(default_factory=KbSettings)
    quality: QualitySettings = Field(default_factory=QualitySettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    escalation: EscalationSettings = Field(default_factory=EscalationSettings)
    merge: MergeSettings = Field(default_factory=MergeSettings)
    staffing: StaffingSettings = Field(default_factory=StaffingSettings)
    nature: NatureSettings = Field(default_factory=NatureSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    lock_timeout_seconds: float = Field(default=30.0, ge=0)
    readers_copy: bool = Field(
        default=True,
        description="After each run, publish a read-only copy of the warehouse for analysts "
        "and BI tools (readers_copy_path), so an open notebook never stops a run; false "
        "removes an earlier run's copy (it would go stale)",
    )
    readers_copy_max_gb: float = Field(
        default=4.0,
        gt=0,
        description="Above this warehouse size (GB) the readers' copy is skipped, unless the "
        "file system clones files (btrfs, XFS): a copy writes the whole warehouse again",
    )
    extensions_dirs: list[Path] = Field(
        default_factory=list,
        description="Project folders with more SQL models, metrics and expectations "
        "(tasks/extensions.py); relative paths are read from the config file's folder",
    )

    @property
    def extensions(self) -> Extensions:
        """The run's extensions (more models, metrics, expectations) and driver dimension."""
        return Extensions(
            dirs=tuple(Path(folder) for folder in self.extensions_dirs),
            driver_dimension=self.drivers.dimension,
        )

    def source_of(self, *path: str) -> str:
        """Where a setting was read (`"drivers", "dimension"`): its `BACKLOG_*` variable, the
        config file, or "the defaults"; for a message that tells the user where to fix it."""
        return setting_source(path, type(self).toml_path, {})

    @property
    def readers_copy_path(self) -> Path:
        """The readers' copy of the warehouse: `<out_dir>/<warehouse name>-latest.duckdb`."""
        return self.out_dir / f"{self.db_path.stem}-latest.duckdb"

    @field_validator("extensions_dirs", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str | Path) else value

    @field_validator("ack_patterns")
    @classmethod
    def _compile(cls, value: list[str]) -> list[str]:
        # a settings field is validated with its default too: the defaults compile, and
        # checking them would import DuckDB into every command's start (15 ms a read)
        return value if value == DEFAULT_ACK_PATTERNS else check_patterns(value)

    @field_validator("report_timezone", "source_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}, use an IANA name such as Europe/Berlin"
            ) from exc
        return value

    @field_validator("sla", mode="before")
    @classmethod
    def _over_defaults(cls, value: Any) -> Any:
        """A configured priority changes only the targets it names; the rest keep defaults."""
        if not isinstance(value, dict):
            return value
        merged = {name: target.model_dump() for name, target in _default_sla().items()}
        for name, target in value.items():
            if not isinstance(target, SlaTarget | dict):  # `high = 30`: left to be reported
                merged[name.lower()] = target
                continue
            given = target.model_dump() if isinstance(target, SlaTarget) else dict(target)
            merged[name.lower()] = {**merged.get(name.lower(), merged["normal"]), **given}
        return merged

    @field_validator("sla")
    @classmethod
    def _business_clock_has_hours(cls, value: dict[str, SlaTarget], info: Any) -> Any:
        """An SLA in business time needs a schedule to count it in."""
        business = sorted(name for name, target in value.items() if target.clock == "business")
        if business and info.data.get("business_hours") is None:
            raise ValueError(
                f'[sla.{business[0]}] clock = "business" needs a [business_hours] schedule'
            )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings, _UnknownVariables(settings_cls)]
        if cls.toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls.toml_path))
        return tuple(sources)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read `backlog.toml` (or `config_file`, or `$BACKLOG_CONFIG`) and the environment.

    Overrides whose value is None are ignored, so CLI flags can be passed through as-is.
    """
    named = os.environ.get("BACKLOG_CONFIG")
    path = config_file or Path(named or "backlog.toml")
    if config_file is not None and not path.is_file():
        raise BacklogError(f"Config file {path} does not exist; pass an existing backlog.toml.")
    if config_file is None and named and not path.is_file():
        # a misspelt path would run on the defaults (another warehouse, no SLA of yours)
        raise BacklogError(
            f"Config file {path} (BACKLOG_CONFIG) does not exist; point BACKLOG_CONFIG at an "
            "existing backlog.toml, or unset it to read ./backlog.toml."
        )

    file = path if path.is_file() else None
    read_toml(file)  # a syntax error is reported with its line and column

    class _Settings(Settings):
        toml_path = file

    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        settings = _Settings(**given)
    except ValidationError as exc:
        raise config_error(exc, Settings, file, given) from exc
    except SettingsError as exc:  # a variable of a section or list that is not JSON
        found = re.search(r'field "(\w+)"', str(exc))
        name = f"BACKLOG_{found.group(1).upper()}" if found else "A BACKLOG_* variable"
        raise BacklogError(
            f"{name} is not valid JSON; set its keys one by one instead "
            f"({name}__<KEY>=<value>, as backlog.example.toml names them)."
        ) from exc
    base = path.resolve().parent if path.is_file() else Path.cwd()
    settings.extensions_dirs = [base / folder for folder in settings.extensions_dirs]
    missing = [folder for folder in settings.extensions_dirs if not folder.is_dir()]
    if missing:
        raise BacklogError(
            f"Extension folder {missing[0]} (extensions_dirs) does not exist; create it or "
            "remove it from the config."
        )
    return settings


class _UnknownVariables(PydanticBaseSettingsSource):
    """`BACKLOG_*` variables that name no setting, handed on so the model rejects them."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: this source reports whole variables, not fields."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return unknown_variables(self.settings_cls.model_fields)
