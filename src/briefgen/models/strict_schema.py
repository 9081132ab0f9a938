"""A JSON schema in the form OpenAI's strict structured outputs accept.

Strict mode guarantees the answer matches the schema, but takes only a subset of JSON Schema:
every object lists all its properties as required and forbids others, an optional value is
expressed as nullable rather than by a default, and length, count and format limits are not
accepted. The draft schema keeps those limits for servers that honour them (llama.cpp's
grammar); this is the variant sent with `strict: true`.
"""

from __future__ import annotations

from typing import Any

# Keywords strict mode refuses or ignores; the limits they carry are restated in the prompt.
UNSUPPORTED = frozenset(
    {
        "default",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "patternProperties",
        "minProperties",
        "maxProperties",
        "propertyNames",
        "unevaluatedProperties",
        "unevaluatedItems",
        "contains",
        "minContains",
        "maxContains",
    }
)


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    if node.get("type") == "null" or any(o.get("type") == "null" for o in node.get("anyOf", [])):
        return node
    if "anyOf" in node:
        return {**node, "anyOf": [*node["anyOf"], {"type": "null"}]}
    return {"anyOf": [node, {"type": "null"}]}


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _convert(v) for k, v in node.items() if k not in UNSUPPORTED}
    if "$ref" in out:
        # Strict mode reads a reference alone; its description lives on the definition.
        return {"$ref": out["$ref"]}
    if out.get("type") == "object" or "properties" in out:
        props: dict[str, Any] = out.get("properties", {})
        required = set(node.get("required", []))
        out["properties"] = {k: v if k in required else _nullable(v) for k, v in props.items()}
        out["required"] = list(props)
        out["additionalProperties"] = False
        out["type"] = "object"
    return out


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` rewritten for strict mode: all properties required, optional ones nullable,
    no additional properties, no unsupported keywords."""
    result: dict[str, Any] = _convert(schema)
    return result


def drop_nulls(data: Any) -> Any:
    """A strict answer says `null` where the field was simply left out: remove those so that
    the model's own defaults apply."""
    if isinstance(data, dict):
        return {k: drop_nulls(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [drop_nulls(v) for v in data if v is not None]
    return data
