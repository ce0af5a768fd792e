"""A run's rules: found by id or index for each result, their default level, score and CWEs, and
the stored ``Rule`` (docs/definitions.md §3 "Rule")."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson

from ingest.models import Rule
from ingest.normalise.values import (
    JSON,
    MAX_PATH_CHARS,
    MAX_TAGS,
    MAX_TEXT_CHARS,
    as_int,
    as_list,
    as_obj,
    as_str,
    as_text,
    capped,
    cwe_ids,
    level_of,
    security_severity,
)

NO_RULE = "(no rule)"


@dataclass(slots=True)
class RuleIndex:
    """The rules of a run's driver and extensions, by id and by index."""

    driver: list[JSON]
    extensions: list[list[JSON]]
    by_id: dict[str, JSON]
    taxonomy_names: list[str]
    cwe_cache: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # (ruleId, ruleIndex) of results without a ``rule`` object → (rule id, rule): results repeat them
    lookup_cache: dict[tuple[Any, Any], tuple[str, JSON | None]] = field(default_factory=dict)
    # id(rule) → (default level, security-severity) of the rule
    facts_cache: dict[int, tuple[str | None, float | None]] = field(default_factory=dict)

    @classmethod
    def from_run(cls, run: JSON) -> RuleIndex:
        tool = as_obj(run.get("tool"))
        driver = [r if isinstance(r, dict) else {} for r in as_list(as_obj(tool.get("driver")).get("rules"))]
        extensions = [
            [r if isinstance(r, dict) else {} for r in as_list(as_obj(ext).get("rules"))]
            for ext in as_list(tool.get("extensions"))
        ]
        by_id: dict[str, JSON] = {}
        for rules in (*extensions, driver):  # driver wins on clashes
            for rule in rules:
                rid = as_str(rule.get("id"))
                if rid:
                    by_id[rid] = rule
        names = [str(as_obj(t).get("name", "")).upper() for t in as_list(run.get("taxonomies"))]
        return cls(driver, extensions, by_id, names)

    def cwes_of(self, rule: JSON | None) -> tuple[str, ...]:
        """The rule's CWE ids, computed once per rule."""
        if rule is None:
            return ()
        key = id(rule)
        found = self.cwe_cache.get(key)
        if found is None:
            found = self.cwe_cache[key] = tuple(rule_cwes(rule, self.taxonomy_names))
        return found

    def facts(self, rule: JSON | None) -> tuple[str | None, float | None]:
        """The rule's default level and its ``security-severity``, computed once per rule."""
        if rule is None:
            return None, None
        found = self.facts_cache.get(id(rule))
        if found is None:
            found = self.facts_cache[id(rule)] = (
                level_of(as_obj(rule.get("defaultConfiguration")).get("level")),
                security_severity(as_obj(rule.get("properties")).get("security-severity")),
            )
        return found

    def lookup(self, result: JSON) -> tuple[str, JSON | None]:
        """(rule id, rule object) by ``ruleId``, ``rule.id`` or ``ruleIndex``/``rule.index``."""
        if "rule" in result:
            return self._lookup(result)
        try:
            key = (result.get("ruleId"), result.get("ruleIndex"))
            found = self.lookup_cache.get(key)
        except TypeError:  # unhashable junk: no memo
            return self._lookup(result)
        if found is None:
            found = self.lookup_cache[key] = self._lookup(result)
        return found

    def _lookup(self, result: JSON) -> tuple[str, JSON | None]:
        ref = as_obj(result.get("rule"))
        rule_id = as_str(result.get("ruleId")) or as_str(ref.get("id"))
        index = as_int(result.get("ruleIndex"))
        if index is None:
            index = as_int(ref.get("index"))
        component = as_obj(ref.get("toolComponent"))
        ext_index = as_int(component.get("index"))
        rules = (
            self.extensions[ext_index] if ext_index is not None and ext_index < len(self.extensions) else self.driver
        )
        rule: JSON | None = None
        if index is not None and index < len(rules):
            rule = rules[index]
            if rule_id and as_str(rule.get("id")) not in (None, rule_id):
                rule = None  # index and id disagree: trust the id
        if rule is None and rule_id:
            rule = self.by_id.get(rule_id) or self.by_id.get(rule_id.split("/")[0])
        if rule_id is None and rule is not None:
            rule_id = as_str(rule.get("id"))
        return capped(rule_id) if rule_id else NO_RULE, rule


def rule_cwes(rule: JSON | None, taxonomy_names: list[str]) -> list[str]:
    """The rule's CWE ids: from its relationships (to a CWE taxonomy or naming one), its ``cwe``
    properties and its tags."""
    if not rule:
        return []
    found: list[Any] = []
    for rel in as_list(rule.get("relationships")):
        target = as_obj(as_obj(rel).get("target"))
        comp = as_obj(target.get("toolComponent"))
        comp_name = str(comp.get("name") or "").upper()
        comp_idx = as_int(comp.get("index"))
        if comp_idx is not None and comp_idx < len(taxonomy_names):
            comp_name = comp_name or taxonomy_names[comp_idx]
        tid = target.get("id")
        if isinstance(tid, (str, int)) and not isinstance(tid, bool):
            found.append(f"CWE-{tid}" if comp_name == "CWE" and str(tid).isdigit() else str(tid))
    props = as_obj(rule.get("properties"))
    found += [props.get("cwe"), props.get("CWE"), props.get("tags")]
    return cwe_ids(found)


# Rules already made in this process, by their content: most scans of a stream list the same rules,
# and making one (CWEs, texts, the properties' JSON) costs many times what serialising the key does.
_RULE_MEMO: dict[tuple[str, str, tuple[str, ...], bytes], Rule] = {}
_RULE_MEMO_MAX = 4096


def make_rule(tool: str, rule_id: str, rule: JSON | None, taxonomy_names: list[str]) -> Rule:
    """The stored form of a rule (the same object for the same content, memoised per process)."""
    try:
        key = (tool, rule_id, tuple(taxonomy_names), orjson.dumps(rule))
    except (TypeError, ValueError):  # not serialisable by orjson (e.g. an integer beyond 64 bits)
        return _make_rule(tool, rule_id, rule, taxonomy_names)
    found = _RULE_MEMO.get(key)
    if found is None:
        if len(_RULE_MEMO) >= _RULE_MEMO_MAX:
            _RULE_MEMO.clear()
        found = _RULE_MEMO[key] = _make_rule(tool, rule_id, rule, taxonomy_names)
    return found


def _make_rule(tool: str, rule_id: str, rule: JSON | None, taxonomy_names: list[str]) -> Rule:
    rule = rule or {}
    props = as_obj(rule.get("properties"))
    tags = tuple(capped(t) for t in [t for t in as_list(props.get("tags")) if isinstance(t, str)][:MAX_TAGS])
    help_obj = as_obj(rule.get("help"))
    name = as_str(rule.get("name"))
    help_uri = as_str(rule.get("helpUri"))
    return Rule(
        tool=tool,
        rule_id=rule_id,
        name=capped(name) if name else None,
        short_description=as_text(rule.get("shortDescription")),
        full_description=as_text(rule.get("fullDescription")),
        help_uri=capped(help_uri, MAX_PATH_CHARS) if help_uri else None,
        help_text=as_text(help_obj.get("text")) or as_text(help_obj.get("markdown")),
        tags=tags,
        cwes=tuple(rule_cwes(rule, taxonomy_names)),
        default_level=level_of(as_obj(rule.get("defaultConfiguration")).get("level")),
        security_severity=security_severity(props.get("security-severity")),
        properties_json=json.dumps(props, ensure_ascii=False, sort_keys=True, default=str)[:MAX_TEXT_CHARS]
        if props
        else None,
    )


def level_overrides(run: JSON) -> dict[str, str]:
    """``ruleConfigurationOverrides`` of the run's invocations: rule id (or #index) → level."""
    out: dict[str, str] = {}
    for inv in as_list(run.get("invocations")):
        for ov in as_list(as_obj(inv).get("ruleConfigurationOverrides")):
            desc = as_obj(as_obj(ov).get("descriptor"))
            level = level_of(as_obj(as_obj(ov).get("configuration")).get("level"))
            if level is None:
                continue
            if as_str(desc.get("id")):
                out[desc["id"]] = level
            elif as_int(desc.get("index")) is not None:
                out[f"#{desc['index']}"] = level
    return out
