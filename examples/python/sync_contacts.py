#!/usr/bin/env python3
"""Upsert contacts from a CSV file by their external id, with the Python standard library only.

    CRM_API_KEY=crm_sk_… BASE_URL=http://127.0.0.1:8080 \\
        python3 examples/python/sync_contacts.py contacts.csv [--source csv]

The CSV has a header row with the columns external_id,first_name,last_name,email. Each row
becomes one `PUT /v1/external-ids/{source}/{external_id}/contact`: the contact holding that
id is updated with the row's non-empty fields (the others are kept), or created when there is
none. Prints `created` or `updated` per row; a row the API refuses is reported on stderr and
the script goes on, then exits with status 1.
"""

import argparse
import csv
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

COLUMNS = ("external_id", "first_name", "last_name", "email")


def upsert(base_url, api_key, source, external_id, body):
    """PUTs one contact; returns (HTTP status, parsed JSON answer). Waits and retries on 429/503."""
    url = "{}/v1/external-ids/{}/{}/contact".format(
        base_url, urllib.parse.quote(source, safe=""), urllib.parse.quote(external_id, safe="")
    )
    data = json.dumps(body).encode("utf-8")
    for attempt in range(5):
        request = urllib.request.Request(
            url,
            data=data,
            method="PUT",
            headers={
                "Authorization": "Bearer " + api_key,
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            if error.code in (429, 503) and attempt < 4:
                time.sleep(float(error.headers.get("Retry-After") or 1))
                continue
            raw = error.read()
            try:
                return error.code, json.loads(raw)
            except ValueError:
                return error.code, {"detail": raw.decode("utf-8", "replace")}
    raise AssertionError("unreachable")


def contact_body(row):
    """The row's non-empty fields as a contact; empty cells are not sent, so they are kept."""
    body = {}
    for field in ("first_name", "last_name"):
        value = (row.get(field) or "").strip()
        if value:
            body[field] = value
    email = (row.get("email") or "").strip()
    if email:
        # A list replaces the stored list: the CSV's address becomes the contact's only e-mail.
        body["emails"] = [{"address": email}]
    return body


def describe(answer):
    """One line from a problem+json answer: the detail and each invalid field."""
    text = answer.get("detail") or answer.get("title") or "error"
    for error in answer.get("errors") or []:
        text += " [{} {}: {}]".format(error.get("pointer"), error.get("code"), error.get("detail"))
    return text


def main():
    parser = argparse.ArgumentParser(description="Upsert contacts from a CSV file by external id.")
    parser.add_argument("csv_file", help="CSV with columns " + ",".join(COLUMNS))
    parser.add_argument("--source", default="csv", help="the external id source (a-z, 0-9, _ and -; default: csv)")
    args = parser.parse_args()

    if not re.fullmatch(r"[a-z0-9_-]{1,32}", args.source):
        sys.exit("--source must be 1 to 32 of a-z, 0-9, _ and -")
    api_key = os.environ.get("CRM_API_KEY")
    if not api_key:
        sys.exit("Set CRM_API_KEY to an API key (crm_sk_…) with the contacts:write scope.")
    base_url = os.environ.get("BASE_URL", "http://127.0.0.1:8080").rstrip("/")

    counts = {"created": 0, "updated": 0, "failed": 0}
    with open(args.csv_file, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            sys.exit("{}: missing column(s) {}".format(args.csv_file, ", ".join(missing)))
        for line, row in enumerate(reader, start=2):
            external_id = (row.get("external_id") or "").strip()
            if not external_id:
                print("line {}: failed: no external_id".format(line), file=sys.stderr)
                counts["failed"] += 1
                continue
            try:
                status, answer = upsert(base_url, api_key, args.source, external_id, contact_body(row))
            except OSError as error:  # URLError, timeouts, refused connections
                sys.exit("cannot reach {}: {}".format(base_url, getattr(error, "reason", error)))
            if status in (200, 201):
                outcome = "created" if status == 201 else "updated"
                counts[outcome] += 1
                print("{} {}:{} {}".format(outcome, args.source, external_id, answer.get("id")))
            else:
                counts["failed"] += 1
                print(
                    "line {}: failed {}:{}: HTTP {} {}: {}".format(
                        line, args.source, external_id, status, answer.get("code"), describe(answer)
                    ),
                    file=sys.stderr,
                )

    print("{created} created, {updated} updated, {failed} failed".format(**counts))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
