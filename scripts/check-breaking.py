"""Fails when a spec breaks clients of a released one (v1 stays additive, docs/api-design.md).

    python3 scripts/check-breaking.py openapi/releases/v1.0.0.json openapi/openapi.json

Breaking, for a client written against the released spec:
  - an operation (method and path) is gone;
  - a parameter is gone, or one is newly required (or became required);
  - a property is gone from a schema, or changed type;
  - an enum lost a value;
  - a schema a request uses requires a property it did not (requests are strict: an old client
    would not send it).
Additions (operations, optional parameters, properties, enum values, responses) are fine.
Standard library only.
"""

import json
import sys

METHODS = ("get", "put", "post", "patch", "delete")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def refs(node):
    """Names of the component schemas a node references, directly."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            yield ref.rsplit("/", 1)[1]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def request_schemas(spec):
    """Every component schema reachable from a request body or a parameter."""
    schemas = spec.get("components", {}).get("schemas", {})
    todo = []
    for item in spec["paths"].values():
        for method in METHODS:
            op = item.get(method)
            if op:
                todo += list(refs(op.get("requestBody", {}))) + list(refs(op.get("parameters", [])))
    seen = set()
    while todo:
        name = todo.pop()
        if name not in seen and name in schemas:
            seen.add(name)
            todo += list(refs(schemas[name]))
    return seen


def type_of(schema):
    t = schema.get("type")
    return tuple(sorted(t)) if isinstance(t, list) else t


COMPONENTS = {"old": {}, "new": {}}


def resolve(side, schema):
    ref = schema.get("$ref", "")
    return COMPONENTS[side].get(ref.rsplit("/", 1)[1], {}) if ref.startswith("#/components/schemas/") else schema


def compare_schema(where, old, new, in_request, problems, depth=0):
    """Walks two versions of one schema side by side."""
    if not isinstance(old, dict) or not isinstance(new, dict) or depth > 12:
        return
    if "$ref" in old or "$ref" in new:
        if old.get("$ref") == new.get("$ref"):
            return  # the component itself is compared on its own
        # Inlined or extracted: what counts is the shape on the wire.
        compare_schema(where, resolve("old", old), resolve("new", new), in_request, problems, depth + 1)
        return
    old_type, new_type = type_of(old), type_of(new)
    if old_type and new_type and old_type != new_type:
        old_set = set(old_type if isinstance(old_type, tuple) else [old_type])
        new_set = set(new_type if isinstance(new_type, tuple) else [new_type])
        if not old_set <= new_set:
            problems.append(f"{where}: type {old_type} became {new_type}")
    for value in old.get("enum", []):
        if "enum" in new and value not in new["enum"]:
            problems.append(f"{where}: enum value {value!r} removed")
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, sub in old_props.items():
        if name not in new_props:
            problems.append(f"{where}: property {name!r} removed")
        else:
            compare_schema(f"{where}.{name}", sub, new_props[name], in_request, problems, depth + 1)
    if in_request:
        for name in set(new.get("required", [])) - set(old.get("required", [])):
            problems.append(f"{where}: property {name!r} is newly required in a request")
    for key in ("items", "additionalProperties"):
        compare_schema(f"{where}[{key}]", old.get(key), new.get(key), in_request, problems, depth + 1)
    for key in ("oneOf", "anyOf", "allOf"):
        for i, (a, b) in enumerate(zip(old.get(key, []), new.get(key, []))):
            compare_schema(f"{where}.{key}[{i}]", a, b, in_request, problems, depth + 1)


def parameters(op):
    return {(p["in"], p["name"].lower()): p for p in op.get("parameters", []) if "name" in p}


def main(released_path, current_path):
    released, current = load(released_path), load(current_path)
    COMPONENTS["old"] = released.get("components", {}).get("schemas", {})
    COMPONENTS["new"] = current.get("components", {}).get("schemas", {})
    problems = []
    for path, item in released["paths"].items():
        for method in METHODS:
            old = item.get(method)
            if not old:
                continue
            new = current["paths"].get(path, {}).get(method)
            if not new:
                problems.append(f"{method.upper()} {path}: operation removed")
                continue
            old_params, new_params = parameters(old), parameters(new)
            for key, param in old_params.items():
                if key not in new_params:
                    problems.append(f"{method.upper()} {path}: parameter {key[1]} ({key[0]}) removed")
                elif new_params[key].get("required") and not param.get("required"):
                    problems.append(f"{method.upper()} {path}: parameter {key[1]} is now required")
                else:
                    where = f"{method.upper()} {path} parameter {key[1]}"
                    compare_schema(where, param.get("schema"), new_params[key].get("schema"), True, problems)
            for key, param in new_params.items():
                if key not in old_params and param.get("required"):
                    problems.append(f"{method.upper()} {path}: new required parameter {key[1]} ({key[0]})")
            if new.get("requestBody", {}).get("required") and not old.get("requestBody", {}).get("required"):
                problems.append(f"{method.upper()} {path}: the body is now required")
    in_request = request_schemas(released)
    old_schemas = released.get("components", {}).get("schemas", {})
    new_schemas = current.get("components", {}).get("schemas", {})
    for name, schema in old_schemas.items():
        if name not in new_schemas:
            # A schema renamed or inlined breaks nothing on the wire; its operations are checked above.
            continue
        compare_schema(name, schema, new_schemas[name], name in in_request, problems)
    for problem in problems:
        print(f"breaking: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} breaking change(s) against {released_path}", file=sys.stderr)
        return 1
    print(f"breaking changes: none against {released_path}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
