"""Every example in the contract validates against its own schema: each component schema's
examples, and each operation's request and response examples (run by contract-checks.sh with
the tools' virtualenv, whose schemathesis brings jsonschema_rs)."""

import json
import sys

import jsonschema_rs

spec = json.load(open(sys.argv[1]))
bad = []
checked = 0


def check(schema, example, where):
    global checked
    checked += 1
    root = dict(schema) if isinstance(schema, dict) else {"$ref": schema}
    root["components"] = spec["components"]
    try:
        v = jsonschema_rs.Draft202012Validator(root)
    except Exception as e:
        bad.append(f"{where}: schema: {e}"); return
    errs = list(v.iter_errors(example))
    if errs: bad.append(f"{where}: {str(errs[0])[:160]}")
for name, schema in spec["components"]["schemas"].items():
    exs = ([schema["example"]] if "example" in schema else []) + (schema.get("examples") if isinstance(schema.get("examples"), list) else [])
    for ex in exs:
        check("#/components/schemas/" + name, ex, f"schema {name}")
# The operations of the paths, and the event payloads of the webhooks section.
for path, item in list(spec["paths"].items()) + list(spec.get("webhooks", {}).items()):
    for method, op in item.items():
        if not isinstance(op, dict): continue
        for ct, media in op.get("requestBody", {}).get("content", {}).items():
            sch = media.get("schema", {})
            if "example" in media: check(sch.get("$ref") or sch, media["example"], f"{method.upper()} {path} request")
        for status, resp in op.get("responses", {}).items():
            for ct, media in resp.get("content", {}).items():
                sch = media.get("schema", {})
                if "example" in media: check(sch.get("$ref") or sch, media["example"], f"{method.upper()} {path} {status}")
if bad:
    print("\n".join(bad))
    sys.exit(f"{len(bad)} of {checked} examples do not match their schema")
print(f"examples: all {checked} match their schemas")
