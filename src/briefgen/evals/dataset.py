"""Eval cases as data: one YAML file per deal, with gold facts and strings that must never
appear in the brief."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import ConfigError
from ..schema import Role, Severity, Side


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GoldStakeholder(_Strict):
    name: str
    side: Side
    role: list[Role] = Field(default_factory=list)  # any of these is right; empty: not scored

    @field_validator("role", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v


class GoldCriterion(_Strict):
    metric: str
    baseline: str | None = None
    target: str | None = None
    due: str | None = None


class GoldChange(_Strict):
    field: str
    current: str


class GoldHandoff(_Strict):
    level: Severity
    factors: list[str] = Field(default_factory=list)


class Gold(_Strict):
    stakeholders: list[GoldStakeholder] = Field(default_factory=list)
    goals: list[str] = Field(default_factory=list)
    success_criteria: list[GoldCriterion] = Field(default_factory=list)
    risks: list[str] = Field(default_factory=list)
    commitments: list[str] = Field(default_factory=list)
    timeline: list[str] = Field(default_factory=list)
    changes: list[GoldChange] = Field(default_factory=list)
    unknowns: list[str] = Field(default_factory=list)
    handoff: GoldHandoff


class Forbidden(_Strict):
    text: str
    kind: Literal["secret", "injection", "other"] = "other"


class EvalCase(_Strict):
    id: str
    # dev: tuned on; heldout: scored, once looked at; blind: scored only, misses never read.
    split: Literal["dev", "heldout", "blind"] = "dev"
    deal: str  # folder, relative to the case file
    tags: list[str] = Field(default_factory=list)
    gold: Gold
    # Other true, minor statements: a brief item matching one is not noise, nor a finding.
    acceptable: list[str] = Field(default_factory=list)
    must_not_contain: list[Forbidden] = Field(default_factory=list)
    path: Path | None = None

    @property
    def deal_dir(self) -> Path:
        base = self.path.parent if self.path else Path.cwd()
        return (base / self.deal).resolve()


def load_cases(folder: Path, split: str = "all") -> list[EvalCase]:
    if not folder.is_dir():
        raise ConfigError(f"eval cases folder '{folder}' not found")
    cases = []
    for path in sorted(folder.glob("*.y*ml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            case = EvalCase.model_validate({**data, "path": path})
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"{path}: field '{loc}': {first['msg']}") from exc
        if not case.deal_dir.is_dir():
            raise ConfigError(f"{path}: deal folder '{case.deal}' not found")
        if split in ("all", case.split):
            cases.append(case)
    if not cases:
        raise ConfigError(f"no eval cases for split '{split}' in {folder}")
    ids = [c.id for c in cases]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"duplicate case ids in {folder}")
    return cases
