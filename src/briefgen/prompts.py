"""Prompt templates live as plain files in `prompts/` (shipped in the wheel as
`briefgen/_prompts`). Each starts with a front-matter `version:` that every brief records."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from .errors import ConfigError

_FRONT = re.compile(r"^---\n(.*?)\n---\n", re.S)


def prompts_dir() -> Path:
    override = os.environ.get("BRIEFGEN_PROMPTS_DIR")
    return Path(override) if override else Path(__file__).with_name("_prompts")


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    template: Template

    def render(self, **values: object) -> str:
        try:
            return self.template.substitute({k: str(v) for k, v in values.items()})
        except KeyError as exc:
            raise ConfigError(f"prompt '{self.name}' needs a value for {exc}") from exc


def load(name: str) -> Prompt:
    path = prompts_dir() / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"prompt file {path} cannot be read: {exc.strerror}") from exc
    m = _FRONT.match(text)
    version = "unversioned"
    if m:
        for line in m.group(1).splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "version":
                version = value.strip()
        text = text[m.end() :]
    return Prompt(name, version, Template(text.strip() + "\n"))
