"""A tour of the crm API with the Python SDK that `make sdk` generates (openapi-python-client).

    make sdk
    CRM_API_KEY=crm_sk_… BASE_URL=http://127.0.0.1:8080 PYTHONPATH=target/sdk/python \\
        target/tools-venv/bin/python examples/python/scenario.py

(with another cargo target directory, use its sdk/python and tools-venv). With an admin API key,
it creates a company and three contacts linked to it, then finds them with the filter language,
pages through them, updates one with If-Match (and recovers from a 412), reads its timeline,
exports the contacts to CSV, and finds their events in the changes feed. It checks every answer:
the first unexpected one stops it with exit status 1 and a message saying what was expected
(2 when CRM_API_KEY is missing). Names and e-mails carry a random suffix, so it can run again on
the same server.
"""

import csv
import io
import os
import secrets
import sys
import time

try:
    import httpx
    from crm_client import AuthenticatedClient
    from crm_client.api.companies import create_company
    from crm_client.api.contacts import (
        create_contact,
        get_contact,
        get_contact_timeline,
        link_contact_company,
        list_contacts,
        search_contacts,
        update_contact,
    )
    from crm_client.api.events import list_events
    from crm_client.api.exports import create_export, download_export, get_export
    from crm_client.models import (
        CompanyIn,
        ContactIn,
        ContactPatch,
        EmailEntry,
        ExportIn,
        ExportInFilterType0,
        LifecycleStage,
        LinkIn,
        Problem,
        SearchRequest,
        SearchRequestFilterType0,
    )
    from crm_client.types import UNSET
except ImportError as error:
    sys.exit(f"{error}: run `make sdk`, then this script with PYTHONPATH=<target>/sdk/python "
             "and the python of <target>/tools-venv (see examples/README.md)")

# The contacts the scenario creates: first name, last name, lifecycle stage.
PEOPLE = [
    ("Ada", "Lovelace", LifecycleStage.CUSTOMER),
    ("Grace", "Hopper", LifecycleStage.CUSTOMER),
    ("Alan", "Turing", LifecycleStage.LEAD),
]


class Surprise(Exception):
    """An answer the scenario did not expect."""


def check(condition, message):
    if not condition:
        raise Surprise(message)


def expect(response, status, what):
    """The parsed body of `response` when its status is `status`; a Surprise otherwise."""
    if response.status_code != status:
        raise Surprise(f"{what}: expected {status}, got {response.status_code}: {describe(response)}")
    return response.parsed


def describe(response):
    """The problem+json of an error answer, in one line."""
    problem = response.parsed
    if isinstance(problem, Problem):
        return f"{problem.code}: {problem.detail}"
    return response.content.decode("utf-8", "replace")[:300]


def step(message):
    print(f"- {message}", flush=True)


def feed_position(client, types):
    """Reads the changes feed to its end and returns the position there (`next_after`).

    Reading from this position later gives exactly the events that happened since."""
    after = 0
    while True:
        page = expect(list_events.sync_detailed(client=client, after=after, types=types, limit=1000),
                      200, "GET /v1/events")
        after = page.next_after
        if not page.has_more:
            return after


def create_company_with_people(client, run, tag):
    """A company, and three contacts linked to it; returns (company, contacts by first name)."""
    # An Idempotency-Key makes a create safe to retry after a timeout: the repeat replays the
    # first answer instead of creating a second record.
    company = expect(create_company.sync_detailed(
        client=client,
        body=CompanyIn(name=f"Analytical Engines {run}", domain=f"engines-{run}.example", tags=[tag]),
        idempotency_key=f"scenario-{run}-company",
    ), 201, "POST /v1/companies")
    contacts = {}
    for first, last, stage in PEOPLE:
        contact = expect(create_contact.sync_detailed(
            client=client,
            body=ContactIn(
                first_name=first,
                last_name=last,
                emails=[EmailEntry(address=f"{first}.{last}.{run}@Example.com")],
                lifecycle_stage=stage,
                tags=[tag],
            ),
            idempotency_key=f"scenario-{run}-{first}",
        ), 201, "POST /v1/contacts")
        # The API stores e-mails lower-cased.
        check(contact.email == f"{first}.{last}.{run}@example.com".lower(),
              f"{first}'s e-mail is {contact.email}, not lower-cased")
        link = expect(link_contact_company.sync_detailed(
            contact.id, company.id, client=client, body=LinkIn(role="Engineer")),
            200, f"PUT /v1/contacts/{contact.id}/companies/{company.id}")
        # A contact's first company is its primary one.
        check(link.primary, f"{first}'s first company link is not primary")
        contacts[first] = contact
    return company, contacts


def search_customers(client, tag):
    """The ids of this run's customers, found with the filter language."""
    # `all` of two conditions: this run's tag, and the lifecycle stage.
    search = SearchRequestFilterType0.from_dict({"all": [
        {"field": "tags", "op": "contains", "value": tag},
        {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
    ]})
    page = expect(search_contacts.sync_detailed(client=client, body=SearchRequest(filter_=search, sort="name")),
                  200, "POST /v1/contacts/search")
    check(not page.has_more, "the search has more than one page")
    return [contact.id for contact in page.data]


def company_people(client, company_id, limit):
    """Every contact linked to the company, page by page; returns (ids in order, pages read)."""
    # UNSET: the parameter is not sent (the first page).
    ids, cursor, pages = [], UNSET, 0
    while True:
        # The next page is asked for with the previous page's `next_cursor` and the same sort
        # and filters.
        page = expect(list_contacts.sync_detailed(
            client=client, company_id=company_id, sort="name", limit=limit, cursor=cursor,
        ), 200, "GET /v1/contacts")
        pages += 1
        check(len(page.data) <= limit, f"a page of {len(page.data)} contacts, over the limit {limit}")
        ids += [contact.id for contact in page.data]
        if not page.has_more:
            check(not page.next_cursor, "the last page has a next_cursor")
            return ids, pages
        cursor = page.next_cursor
        check(bool(cursor), "a page with has_more but no next_cursor")


def get_with_etag(client, contact_id):
    """The contact and its ETag (its version), which makes a later update conditional."""
    response = get_contact.sync_detailed(contact_id, client=client)
    contact = expect(response, 200, f"GET /v1/contacts/{contact_id}")
    etag = response.headers.get("ETag")
    check(etag == f'"{contact.version}"', f"ETag {etag!r} for version {contact.version}")
    return contact, etag


def update_if_unchanged(client, contact_id, patch, etag):
    """PATCH with If-Match: applied only if nobody changed the contact since `etag`."""
    return update_contact.sync_detailed(contact_id, client=client, body=patch, if_match=etag)


def update_with_retry(client, contact_id, patch, etag):
    """Applies `patch` on the version `etag`; when it is stale (412), fetches the contact again
    and retries on the fresh version. Returns (contact, whether a 412 was met)."""
    response = update_if_unchanged(client, contact_id, patch, etag)
    if response.status_code != 412:
        return expect(response, 200, f"PATCH /v1/contacts/{contact_id}"), False
    # 412 is a problem+json saying the record moved on: someone else's change would be lost.
    check(response.headers.get("Content-Type", "").startswith("application/problem+json"),
          f"a 412 of type {response.headers.get('Content-Type')}")
    check(response.parsed.code == "version_mismatch", f"a 412 with code {response.parsed.code}")
    # Here a real client may look at the fresh record and decide whether its change still makes
    # sense; this one re-applies it.
    _, fresh_etag = get_with_etag(client, contact_id)
    response = update_if_unchanged(client, contact_id, patch, fresh_etag)
    return expect(response, 200, f"PATCH /v1/contacts/{contact_id} (retry)"), True


def find_change(client, contact_id, field, after):
    """The timeline entry that changed `field` to `after`, or None."""
    page = expect(get_contact_timeline.sync_detailed(contact_id, client=client, limit=50),
                  200, f"GET /v1/contacts/{contact_id}/timeline")
    for item in page.data:
        # A timeline mixes item types (activities, changes, more to come): skip the others.
        if item.type_ != "change" or not item.change:
            continue
        change = item.change.changes.additional_properties.get(field)
        if item.change.action == "updated" and change and change.get("after") == after:
            return item.change
    return None


def export_csv(client, tag, timeout=60):
    """Exports this run's contacts to CSV in a background job; returns the job and the CSV's rows."""
    job = expect(create_export.sync_detailed(client=client, body=ExportIn(
        filter_=ExportInFilterType0.from_dict({"field": "tags", "op": "contains", "value": tag}),
        columns=["id", "email", "last_name"],
    )), 202, "POST /v1/exports")
    # The job runs in the server's workers: poll it until it is done, up to a deadline.
    deadline = time.monotonic() + timeout
    while job.status not in ("succeeded", "failed", "cancelled"):
        check(time.monotonic() < deadline, f"export {job.id} still {job.status} after {timeout} s")
        time.sleep(0.2)
        job = expect(get_export.sync_detailed(job.id, client=client), 200, f"GET /v1/exports/{job.id}")
    check(job.status == "succeeded", f"export {job.id} {job.status}: {job.error}")
    text = expect(download_export.sync_detailed(job.id, client=client), 200, f"GET /v1/exports/{job.id}/download")
    return job, list(csv.DictReader(io.StringIO(text)))


def follow_feed(client, after, types, wanted, timeout=30):
    """Follows the changes feed from `after` until `wanted(events)` holds; returns the events
    seen. `wait` long-polls: the server answers as soon as an event comes, or after 5 s."""
    events = []
    deadline = time.monotonic() + timeout
    while not wanted(events):
        check(time.monotonic() < deadline, f"the changes feed did not bring the events within {timeout} s")
        page = expect(list_events.sync_detailed(client=client, after=after, types=types, wait=5),
                      200, "GET /v1/events")
        events += page.data
        after = page.next_after
    return events


def events_about(events, kind, ids):
    """The events of type `kind` about one of the records `ids` (`data.object` is the record)."""
    return [e for e in events if e.type_ == kind and e.data.additional_properties["object"]["id"] in ids]


def main():
    base_url = os.environ.get("BASE_URL", "http://127.0.0.1:8080")
    api_key = os.environ.get("CRM_API_KEY")
    if not api_key:
        print("CRM_API_KEY must hold an admin API key (crm_sk_…)", file=sys.stderr)
        return 2
    run = secrets.token_hex(4)
    tag = f"scenario-{run}"
    # The timeout must outlast the changes feed's long poll (wait=5).
    client = AuthenticatedClient(base_url=base_url, token=api_key, timeout=httpx.Timeout(30.0))

    # Where the changes feed ends now: the events of this run come after it.
    contact_events = "contact.created,contact.updated"
    start = feed_position(client, contact_events)

    # 1. A company and its people.
    company, people = create_company_with_people(client, run, tag)
    ada = people["Ada"]
    ids = {contact.id for contact in people.values()}
    step(f"created company {company.id} and contacts {', '.join(c.id for c in people.values())} (tag {tag})")

    # 2. Search: this run's customers are Ada and Grace, sorted by name (Hopper before Lovelace).
    found = search_customers(client, tag)
    check(found == [people["Grace"].id, ada.id], f"the search found {found}, not Grace and Ada")
    step("search: the filter language found exactly the two customers")

    # 3. List the company's people two at a time: all three, each once, on two pages.
    seen, pages = company_people(client, company.id, limit=2)
    check(sorted(seen) == sorted(ids), f"paging saw {seen}, not each of {sorted(ids)} once")
    check(pages == 2, f"3 contacts by 2 took {pages} pages")
    step(f"list: {len(seen)} contacts on {pages} pages of 2, each seen once")

    # 4. Update with If-Match, then again with the now stale ETag: a 412, re-fetch, retry.
    _, etag = get_with_etag(client, ada.id)
    updated, met_412 = update_with_retry(client, ada.id, ContactPatch(job_title="Analyst"), etag)
    check(not met_412 and updated.job_title == "Analyst", "the first conditional update did not apply")
    updated, met_412 = update_with_retry(
        client, ada.id, ContactPatch(lifecycle_stage=LifecycleStage.EVANGELIST), etag)
    check(met_412, f"PATCH with the stale ETag {etag} was not refused with a 412")
    # The retry kept the first change: no update was lost.
    check(updated.lifecycle_stage == LifecycleStage.EVANGELIST and updated.job_title == "Analyst",
          f"after the retry: stage {updated.lifecycle_stage}, job title {updated.job_title}")
    step(f"update: If-Match {etag} applied, the same ETag again got 412 version_mismatch, "
         f"the retry on the fresh one applied (version {updated.version})")

    # 5. The timeline shows the change, field by field.
    change = find_change(client, ada.id, "job_title", "Analyst")
    check(change is not None, "the timeline has no change of job_title to Analyst")
    step(f"timeline: change {change.id} set job_title to Analyst")

    # 6. Export this run's contacts to CSV.
    job, rows = export_csv(client, tag)
    exported = {row["id"]: row for row in rows}
    check(len(rows) == 3 and set(exported) == ids, f"the export holds {sorted(exported)}, not {sorted(ids)}")
    for contact in people.values():
        row = exported[contact.id]
        check(row["email"] == contact.email and row["last_name"] == contact.last_name,
              f"the export's row for {contact.id}: {row}")
    check(job.rows_written == 3, f"the export says {job.rows_written} rows")
    step(f"export: {job.id} wrote the 3 contacts to CSV")

    # 7. The changes feed: a contact.created for each, and contact.updated for Ada's two updates.
    def all_arrived(events):
        return (len(events_about(events, "contact.created", ids)) == 3
                and len(events_about(events, "contact.updated", ids)) == 2)

    events = follow_feed(client, start, contact_events, all_arrived)
    created = events_about(events, "contact.created", ids)
    updates = events_about(events, "contact.updated", ids)
    # `previous_attributes` holds the old values of what each update changed.
    previous = [e.data.additional_properties.get("previous_attributes", {}) for e in updates]
    check("job_title" in previous[0] and previous[1].get("lifecycle_stage") == "customer",
          f"previous_attributes of the updates: {previous}")
    step(f"events: {len(created)} contact.created and "
         f"{len(updates)} contact.updated (seq {updates[0].seq}, {updates[1].seq})")
    print("scenario passed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Surprise as surprise:
        print(f"scenario failed: {surprise}", file=sys.stderr)
        sys.exit(1)
    except httpx.HTTPError as error:
        print(f"scenario failed: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
