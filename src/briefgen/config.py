"""Settings, read from `BRIEFGEN_*` environment variables; CLI flags override them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _choice_env(name: str, choices: tuple[str, ...], default: str) -> str:
    raw = (os.environ.get(name) or default).strip().lower()
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from exc
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0, got {raw!r}")
    return value


def data_home() -> Path:
    """Where the store and the installed model live: `BRIEFGEN_HOME`, else the platform's user
    data folder, so every command finds the same data whatever folder it runs in."""
    explicit = os.environ.get("BRIEFGEN_HOME")
    if explicit:
        return Path(explicit).expanduser()
    from platformdirs import user_data_path

    return user_data_path("briefgen", appauthor=False)


def _list_env(name: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in os.environ.get(name, "").split(",") if v.strip())


@dataclass(frozen=True)
class Settings:
    home: Path
    chroma_url: str | None = None
    # PostgreSQL (or another SQLite file) for deals, sources, briefs and jobs; unset: the
    # SQLite file in the data home.
    database_url: str | None = None
    vendor_domains: tuple[str, ...] = ()
    chunk_size: int = 1000
    chunk_overlap: int = 150
    max_file_bytes: int = 50 * 1024 * 1024
    # Deals whose sources add up to less than this are given to an engine whole;
    # larger ones are reduced to the passages retrieval ranks highest per section.
    evidence_budget_chars: int = 400_000
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = 120.0
    # One overall bound on a model-written brief (every call, retry and repair): a hung
    # endpoint costs this long at most before the extractive engine takes over.
    deadline: float = 300.0
    llm_max_tokens: int = 1800
    llm_context_chars: int = 24_000
    llm_method: str | None = None
    # "assist": the model reviews the offline reader's candidate findings; "one-pass": it reads
    # the deal alone.
    llm_mode: str = "assist"
    local_model: Path | None = None
    local_ctx: int = 8192
    mask_secrets: bool = True
    engine: str = "auto"
    api_keys: tuple[str, ...] = ()
    # Host names the server answers to; anything else is refused (DNS rebinding). "*": any.
    allowed_hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
    session_secret: str | None = None
    hubspot_secret: str | None = None
    hubspot_won_stage: str = "closedwon"
    pipedrive_user: str | None = None
    pipedrive_password: str | None = None
    salesforce_org_ids: tuple[str, ...] = ()
    salesforce_won_stage: str = "Closed Won"
    # The secret last segment of the Salesforce endpoint's path (the org id is no secret).
    salesforce_token: str | None = None
    webhook_secret: str | None = None
    callback_url: str | None = None
    max_body_bytes: int = 25 * 1024 * 1024
    workers: int = 1
    # "process": `serve` runs its workers as child processes, so heavy work never holds the
    # API's interpreter; "thread": inside the serving process, as before.
    worker_mode: str = "process"
    # Seconds the API and the form wait for a job they started before answering with its id.
    wait: float = 300.0
    # Seconds a worker holds a job without renewing; a dead worker's job is taken over after it.
    job_lease: float = 30.0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def llm_configured(self) -> bool:
        """An endpoint is configured: a base URL, or an OpenAI key with a model name."""
        return bool(self.llm_base_url or (self.llm_api_key and self.llm_model))

    @property
    def default_local_model(self) -> Path:
        return self.home / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"

    @classmethod
    def from_env(cls, home: Path | str | None = None) -> Settings:
        home_path = Path(home).expanduser() if home else data_home()
        domains = tuple(
            d.strip().lower().lstrip("@")
            for d in os.environ.get("BRIEFGEN_VENDOR_DOMAINS", "").split(",")
            if d.strip()
        )
        return cls(
            home=home_path,
            chroma_url=os.environ.get("BRIEFGEN_CHROMA_URL") or None,
            database_url=os.environ.get("BRIEFGEN_DATABASE_URL") or None,
            vendor_domains=domains,
            chunk_size=_int_env("BRIEFGEN_CHUNK_SIZE", 1000),
            chunk_overlap=_int_env("BRIEFGEN_CHUNK_OVERLAP", 150),
            max_file_bytes=_int_env("BRIEFGEN_MAX_FILE_BYTES", 50 * 1024 * 1024),
            evidence_budget_chars=_int_env("BRIEFGEN_EVIDENCE_BUDGET", 400_000),
            llm_base_url=os.environ.get("BRIEFGEN_LLM_BASE_URL") or None,
            llm_model=os.environ.get("BRIEFGEN_LLM_MODEL") or None,
            llm_api_key=os.environ.get("BRIEFGEN_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY") or None,
            llm_timeout=_float_env("BRIEFGEN_LLM_TIMEOUT", 120.0),
            deadline=_float_env("BRIEFGEN_DEADLINE", 300.0),
            llm_max_tokens=_int_env("BRIEFGEN_LLM_MAX_TOKENS", 1800),
            llm_context_chars=_int_env("BRIEFGEN_LLM_CONTEXT_CHARS", 24_000),
            llm_method=os.environ.get("BRIEFGEN_LLM_METHOD") or None,
            llm_mode=_choice_env("BRIEFGEN_LLM_MODE", ("assist", "one-pass"), "assist"),
            local_model=Path(os.environ["BRIEFGEN_LOCAL_MODEL"])
            if os.environ.get("BRIEFGEN_LOCAL_MODEL")
            else None,
            local_ctx=_int_env("BRIEFGEN_LOCAL_CTX", 8192),
            mask_secrets=os.environ.get("BRIEFGEN_MASK_SECRETS", "1").lower() not in ("0", "false", "no"),
            engine=os.environ.get("BRIEFGEN_ENGINE") or "auto",
            api_keys=_list_env("BRIEFGEN_API_KEYS"),
            allowed_hosts=_list_env("BRIEFGEN_ALLOWED_HOSTS") or ("localhost", "127.0.0.1", "::1"),
            session_secret=os.environ.get("BRIEFGEN_SESSION_SECRET") or None,
            hubspot_secret=os.environ.get("BRIEFGEN_HUBSPOT_SECRET") or None,
            hubspot_won_stage=os.environ.get("BRIEFGEN_HUBSPOT_WON_STAGE") or "closedwon",
            pipedrive_user=os.environ.get("BRIEFGEN_PIPEDRIVE_USER") or None,
            pipedrive_password=os.environ.get("BRIEFGEN_PIPEDRIVE_PASSWORD") or None,
            salesforce_org_ids=_list_env("BRIEFGEN_SALESFORCE_ORG_IDS"),
            salesforce_won_stage=os.environ.get("BRIEFGEN_SALESFORCE_WON_STAGE") or "Closed Won",
            salesforce_token=os.environ.get("BRIEFGEN_SALESFORCE_TOKEN") or None,
            webhook_secret=os.environ.get("BRIEFGEN_WEBHOOK_SECRET") or None,
            callback_url=os.environ.get("BRIEFGEN_CALLBACK_URL") or None,
            max_body_bytes=_int_env("BRIEFGEN_MAX_BODY_BYTES", 25 * 1024 * 1024),
            workers=_int_env("BRIEFGEN_WORKERS", 1),
            worker_mode=_choice_env("BRIEFGEN_WORKER_MODE", ("process", "thread"), "process"),
            wait=_float_env("BRIEFGEN_WAIT", 300.0),
            job_lease=_float_env("BRIEFGEN_JOB_LEASE", 30.0),
        )
