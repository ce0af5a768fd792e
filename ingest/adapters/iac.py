"""The address of a flagged infrastructure-as-code block, read from a scanner's snippet.

Block-snippet scanners (checkov) put the whole flagged resource in ``region.snippet``: up to
dozens of lines, any of which may change while the finding stays (a ``region = var.region`` added
to every resource of a module). What names the resource is the block's header — its *address* —
which is what identity needs (docs/definitions.md §4: rule | path | context). ``block_address`` finds it in the
shapes checkov writes (checked on checkov 3.3.30 output, see tests/test_adapters.py):

| snippet starts with                          | address                         |
|----------------------------------------------|---------------------------------|
| ``resource "aws_s3_bucket" "logs" {`` (HCL)  | ``resource.aws_s3_bucket.logs`` |
| ``module "vpc" {``, ``data "x" "y" {``, …     | ``module.vpc``, ``data.x.y``, … |
| ``  LogsBucket:`` (YAML key opening a block) | ``LogsBucket``                  |
| ``"LogsBucket": {`` (JSON key opening one)   | ``LogsBucket``                  |
| ``apiVersion: v1`` … ``kind: Pod`` … ``metadata: name: web`` (Kubernetes) | ``Pod/-/web`` (kind/namespace/name) |

Anything else (a Dockerfile instruction, a one-line JSON template, a bare value) has no address:
``None``, and the generic context (the snippet itself) is used.
"""

from __future__ import annotations

import re

# An HCL block header: a type, zero or more labels (quoted, or bare identifiers), an opening brace.
_HCL_RE = re.compile(r'^([A-Za-z_][\w-]*)((?:\s+(?:"[^"\n]*"|[A-Za-z_][\w-]*))*)\s*\{\s*$')
_HCL_LABEL_RE = re.compile(r'"([^"\n]*)"|([A-Za-z_][\w-]*)')
_YAML_KEY_RE = re.compile(r"^([^\s:#'\"{}\[\],&*!|>%@`-][^:#]*?)\s*:\s*$")
_JSON_KEY_RE = re.compile(r'^"((?:[^"\\]|\\.)+)"\s*:\s*\{\s*$')
_K8S_TOP_RE = re.compile(r"^(kind|metadata)\s*:\s*(\S*)\s*$")
_K8S_META_RE = re.compile(r"^\s+(name|namespace)\s*:\s*['\"]?([^'\"#\s]+)")
_COMMENT_PREFIXES = ("#", "//")


def block_address(snippet: str | None) -> str | None:
    """The address of the IaC block a snippet starts with, else None (see the module table)."""
    if not snippet:
        return None
    lines = snippet.splitlines()
    first = next((ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith(_COMMENT_PREFIXES)), "")
    if not first:
        return None
    hcl = _HCL_RE.match(first)
    if hcl:
        labels = [quoted or bare for quoted, bare in _HCL_LABEL_RE.findall(hcl.group(2))]
        return ".".join([hcl.group(1), *labels])
    for pattern in (_YAML_KEY_RE, _JSON_KEY_RE):
        key = pattern.match(first)
        if key:
            return key.group(1)
    return _kubernetes_address(lines)


def _kubernetes_address(lines: list[str]) -> str | None:
    """``kind/namespace/name`` of a Kubernetes manifest (``-`` for no namespace), else None. Only
    the direct children of the top-level ``metadata:`` count (not a label called ``name``)."""
    kind = name = None
    namespace = "-"
    child_indent: int | None = None  # indentation of metadata's children; None = not inside it
    in_metadata = False
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        top = _K8S_TOP_RE.match(line)
        if top or line[:1].strip():  # a top-level key: metadata starts or ends here
            in_metadata = top is not None and top.group(1) == "metadata" and not top.group(2)
            child_indent = None
            if top and top.group(1) == "kind" and top.group(2):
                kind = top.group(2).strip("'\"")
            continue
        if not in_metadata:
            continue
        indent = len(line) - len(line.lstrip())
        child_indent = indent if child_indent is None else child_indent
        meta = _K8S_META_RE.match(line) if indent == child_indent else None
        if meta and meta.group(1) == "name" and name is None:
            name = meta.group(2)
        elif meta and meta.group(1) == "namespace":
            namespace = meta.group(2)
    return f"{kind}/{namespace}/{name}" if kind and name else None
