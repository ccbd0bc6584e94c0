"""AWS's XML answers, shaped by AWS's model: results, `ResponseMetadata` and `ErrorResponse`.

    <CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
      <CreateUserResult><User><Path>/</Path><UserName>jorge</UserName>…</User></CreateUserResult>
      <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
    </CreateUserResponse>

A result (the GraphQL data, with AWS's names as aliases) is walked along the output shape:
members in AWS's order, found by name ignoring case, `_` keys merged into their parent; lists
as `<member>` elements; timestamps in ISO 8601 UTC; booleans `true`/`false`; enum values as
AWS spells them (`ACTIVE` → `Active`, `EXPLICIT_DENY` → `explicitDeny`); blobs in base64;
a `{text}` object where AWS has a string as that string; policy documents URL-encoded, as AWS
sends them (botocore decodes them back into dictionaries).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

from gateway.aws.model import ServiceModel

POLICY_DOCUMENT_SHAPE = "policyDocumentType"
DATA_URI_BASE64 = ";base64,"


def result_xml(
    model: ServiceModel, action: str, data: dict[str, Any] | None, request_id: str
) -> bytes:
    """The success answer of `action` holding `data`."""
    operation = model.operations[action]
    root = ElementTree.Element(f"{action}Response", xmlns=model.namespace)
    if operation.output is not None:
        wrapper = ElementTree.SubElement(root, operation.result_wrapper or f"{action}Result")
        _structure(wrapper, model, operation.output, data or {})
    metadata = ElementTree.SubElement(root, "ResponseMetadata")
    ElementTree.SubElement(metadata, "RequestId").text = request_id
    return _bytes(root)


def error_xml(
    model: ServiceModel | None, code: str, message: str, request_id: str, *, sender: bool
) -> bytes:
    """An `ErrorResponse`: Type (Sender or Receiver), Code, Message, and the RequestId."""
    namespace = (
        model.namespace if model is not None else "https://iam.amazonaws.com/doc/2010-05-08/"
    )
    root = ElementTree.Element("ErrorResponse", xmlns=namespace)
    error = ElementTree.SubElement(root, "Error")
    ElementTree.SubElement(error, "Type").text = "Sender" if sender else "Receiver"
    ElementTree.SubElement(error, "Code").text = code
    ElementTree.SubElement(error, "Message").text = message
    ElementTree.SubElement(root, "RequestId").text = request_id
    return _bytes(root)


def flatten(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with keys in lower case and the members of `_` keys merged in."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key == "_" and isinstance(value, dict):
            flat.update(flatten(value))
        elif key != "_":
            flat[key.lower()] = value
    return flat


def _bytes(root: ElementTree.Element) -> bytes:
    body: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _structure(
    parent: ElementTree.Element, model: ServiceModel, shape_name: str, data: dict[str, Any]
) -> None:
    flat = flatten(data)
    for member, spec in model.members(shape_name).items():
        value = flat.get(member.lower())
        if value is None:
            continue
        element = ElementTree.SubElement(parent, spec.get("locationName", member))
        _value(element, model, spec["shape"], value)


def _value(element: ElementTree.Element, model: ServiceModel, shape_name: str, value: Any) -> None:
    shape = model.shape(shape_name)
    kind = shape["type"]
    if kind == "structure":
        if isinstance(value, dict):
            _structure(element, model, shape_name, value)
        return
    if kind == "list":
        member = shape["member"]
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            child = ElementTree.SubElement(element, member.get("locationName", "member"))
            _value(child, model, member["shape"], item)
        return
    if isinstance(value, dict) and len(value) == 1:  # {text: …} where AWS has the text
        value = next(iter(value.values()))
    element.text = _scalar(shape_name, shape, value)


def _scalar(shape_name: str, shape: dict[str, Any], value: Any) -> str:
    kind = shape["type"]
    if kind == "boolean":
        return "true" if value else "false"
    if kind in ("integer", "long"):
        return str(int(value))
    if kind == "timestamp":
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "blob":
        text = str(value)
        if DATA_URI_BASE64 in text and text.startswith("data:"):
            return text.split(DATA_URI_BASE64, 1)[1]
        return base64.b64encode(text.encode()).decode()
    text = str(value)
    if "enum" in shape:
        return _enum_value(shape["enum"], text)
    if shape_name == POLICY_DOCUMENT_SHAPE:
        return quote(text, safe="")
    return text


def _enum_value(allowed: list[str], value: str) -> str:
    """AWS's spelling of a GraphQL enum value: equal ignoring case and `_`, else the one
    allowed value it begins (ALLOW → allowed); unchanged if none."""
    folded = value.replace("_", "").lower()
    for candidate in allowed:
        if candidate.replace("_", "").replace("-", "").lower() == folded:
            return candidate
    starting = [c for c in allowed if c.lower().startswith(folded)]
    return starting[0] if len(starting) == 1 else value
