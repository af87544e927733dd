// A tour of the crm API with the TypeScript SDK of `make sdk`: openapi-fetch's createClient typed
// with the `paths` that openapi-typescript generates from openapi/openapi.json.
//
//     make sdk
//     CRM_API_KEY=crm_sk_… BASE_URL=http://127.0.0.1:8080 node target/sdk/typescript/dist/scenario.js
//
// (with another cargo target directory, its sdk/typescript/dist). With an admin API key, it
// creates a company and three contacts linked to it, then finds them with the filter language,
// pages through them, updates one with If-Match (and recovers from a 412), reads its timeline,
// exports the contacts to CSV, and finds their events in the changes feed. It checks every
// answer: the first unexpected one stops it with exit status 1 and a message saying what was
// expected (2 when CRM_API_KEY is missing). Names and e-mails carry a random suffix, so it can run
// again on the same server.

import { randomBytes } from "node:crypto";
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Company = components["schemas"]["CompanyOut"];
type Contact = components["schemas"]["ContactOut"];
type ContactPatch = components["schemas"]["ContactPatch"];
type LifecycleStage = components["schemas"]["LifecycleStage"];
type AuditEntry = components["schemas"]["AuditEntryOut"];
type Event = components["schemas"]["EventOut"];
type Export = components["schemas"]["ExportOut"];
type Problem = components["schemas"]["Problem"];
type Client = ReturnType<typeof createClient<paths>>;

// `data` of an event: the record after the change, and the old values of what an update changed.
// The spec describes it as a free-form object, so the generated type is `unknown`.
type EventData = { object: { id: string }; previous_attributes?: Record<string, unknown> };
// `changes` of an audit entry: before and after of each field that changed (free-form, too).
type Changes = Record<string, { before: unknown; after: unknown }>;

// The contacts the scenario creates.
const PEOPLE: { first: string; last: string; stage: LifecycleStage }[] = [
  { first: "Ada", last: "Lovelace", stage: "customer" },
  { first: "Grace", last: "Hopper", stage: "customer" },
  { first: "Alan", last: "Turing", stage: "lead" },
];

/** An answer the scenario did not expect. */
class Surprise extends Error {}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Surprise(message);
}

/** What every openapi-fetch call returns: the parsed body (success) or error (problem+json). */
type Answer<T> = { data?: T; error?: unknown; response: Response };

/** The body of `answer` when its status is `status`; a Surprise otherwise. */
function expect<T>(answer: Answer<T>, status: number, what: string): T {
  if (answer.response.status !== status) {
    throw new Surprise(`${what}: expected ${status}, got ${answer.response.status}: ${describe(answer.error)}`);
  }
  check(answer.data !== undefined, `${what}: ${status} without a body`);
  return answer.data;
}

/** A problem+json in one line. */
function describe(error: unknown): string {
  const problem = error as Partial<Problem> | undefined;
  return problem?.code ? `${problem.code}: ${problem.detail}` : JSON.stringify(error);
}

function step(message: string): void {
  console.log(`- ${message}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the changes feed to its end and returns the position there (`next_after`).
 * Reading from this position later gives exactly the events that happened since. */
async function feedPosition(client: Client, types: string): Promise<number> {
  let after = 0;
  for (;;) {
    const page = expect(
      await client.GET("/v1/events", { params: { query: { after, types, limit: 1000 } } }),
      200,
      "GET /v1/events",
    );
    after = page.next_after;
    if (!page.has_more) return after;
  }
}

/** A company, and three contacts linked to it (by first name). */
async function createCompanyWithPeople(client: Client, run: string, tag: string) {
  // An Idempotency-Key makes a create safe to retry after a timeout: the repeat replays the
  // first answer instead of creating a second record.
  const company: Company = expect(
    await client.POST("/v1/companies", {
      params: { header: { "Idempotency-Key": `scenario-${run}-company` } },
      body: { name: `Analytical Engines ${run}`, domain: `engines-${run}.example`, tags: [tag] },
    }),
    201,
    "POST /v1/companies",
  );
  const people = new Map<string, Contact>();
  for (const { first, last, stage } of PEOPLE) {
    const contact = expect(
      await client.POST("/v1/contacts", {
        params: { header: { "Idempotency-Key": `scenario-${run}-${first}` } },
        body: {
          first_name: first,
          last_name: last,
          emails: [{ address: `${first}.${last}.${run}@Example.com` }],
          lifecycle_stage: stage,
          tags: [tag],
        },
      }),
      201,
      "POST /v1/contacts",
    );
    // The API stores e-mails lower-cased.
    const email = `${first}.${last}.${run}@example.com`.toLowerCase();
    check(contact.email === email, `${first}'s e-mail is ${contact.email}, not ${email}`);
    const link = expect(
      await client.PUT("/v1/contacts/{id}/companies/{company_id}", {
        params: { path: { id: contact.id, company_id: company.id } },
        body: { role: "Engineer" },
      }),
      200,
      `PUT /v1/contacts/${contact.id}/companies/${company.id}`,
    );
    // A contact's first company is its primary one.
    check(link.primary, `${first}'s first company link is not primary`);
    people.set(first, contact);
  }
  return { company, people };
}

/** The ids of this run's customers, found with the filter language. */
async function searchCustomers(client: Client, tag: string): Promise<string[]> {
  // `all` of two conditions: this run's tag, and the lifecycle stage.
  const filter = {
    all: [
      { field: "tags", op: "contains", value: tag },
      { field: "lifecycle_stage", op: "eq", value: "customer" },
    ],
  };
  const page = expect(
    await client.POST("/v1/contacts/search", { body: { filter, sort: "name" } }),
    200,
    "POST /v1/contacts/search",
  );
  check(!page.has_more, "the search has more than one page");
  return page.data.map((contact) => contact.id);
}

/** Every contact linked to the company, page by page. */
async function companyPeople(client: Client, companyId: string, limit: number) {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    // The next page is asked for with the previous page's `next_cursor` and the same sort and
    // filters (no cursor: the first page).
    const page = expect(
      await client.GET("/v1/contacts", { params: { query: { company_id: companyId, sort: "name", limit, cursor } } }),
      200,
      "GET /v1/contacts",
    );
    pages += 1;
    check(page.data.length <= limit, `a page of ${page.data.length} contacts, over the limit ${limit}`);
    ids.push(...page.data.map((contact) => contact.id));
    if (!page.has_more) {
      check(!page.next_cursor, "the last page has a next_cursor");
      return { ids, pages };
    }
    check(!!page.next_cursor, "a page with has_more but no next_cursor");
    cursor = page.next_cursor;
  }
}

/** The contact and its ETag (its version), which makes a later update conditional. */
async function getWithEtag(client: Client, id: string) {
  const answer = await client.GET("/v1/contacts/{id}", { params: { path: { id } } });
  const contact = expect(answer, 200, `GET /v1/contacts/${id}`);
  const etag = answer.response.headers.get("ETag") ?? "";
  check(etag === `"${contact.version}"`, `ETag ${etag} for version ${contact.version}`);
  return { contact, etag };
}

/** PATCH with If-Match: applied only if nobody changed the contact since `etag`. */
function updateIfUnchanged(client: Client, id: string, patch: ContactPatch, etag: string) {
  return client.PATCH("/v1/contacts/{id}", { params: { path: { id }, header: { "If-Match": etag } }, body: patch });
}

/** Applies `patch` on the version `etag`; when it is stale (412), fetches the contact again and
 * retries on the fresh version. Returns the contact and whether a 412 was met. */
async function updateWithRetry(client: Client, id: string, patch: ContactPatch, etag: string) {
  const answer = await updateIfUnchanged(client, id, patch, etag);
  if (answer.response.status !== 412) {
    return { contact: expect(answer, 200, `PATCH /v1/contacts/${id}`), met412: false };
  }
  // 412 is a problem+json saying the record moved on: someone else's change would be lost.
  const type = answer.response.headers.get("Content-Type") ?? "";
  check(type.startsWith("application/problem+json"), `a 412 of type ${type}`);
  check(answer.error?.code === "version_mismatch", `a 412 with code ${answer.error?.code}`);
  // Here a real client may look at the fresh record and decide whether its change still makes
  // sense; this one re-applies it.
  const fresh = await getWithEtag(client, id);
  const retry = await updateIfUnchanged(client, id, patch, fresh.etag);
  return { contact: expect(retry, 200, `PATCH /v1/contacts/${id} (retry)`), met412: true };
}

/** The timeline entry that changed `field` to `after`, if any. */
async function findChange(client: Client, id: string, field: string, after: unknown): Promise<AuditEntry | undefined> {
  const page = expect(
    await client.GET("/v1/contacts/{id}/timeline", { params: { path: { id }, query: { limit: 50 } } }),
    200,
    `GET /v1/contacts/${id}/timeline`,
  );
  for (const item of page.data) {
    // A timeline mixes item types (activities, changes, more to come): skip the others.
    if (item.type !== "change" || !item.change) continue;
    const change = (item.change.changes as Changes)[field];
    if (item.change.action === "updated" && change?.after === after) return item.change;
  }
  return undefined;
}

/** Exports this run's contacts to CSV in a background job; returns the job and the CSV's rows. */
async function exportCsv(client: Client, tag: string, timeoutMs = 60_000) {
  let job: Export = expect(
    await client.POST("/v1/exports", {
      body: { filter: { field: "tags", op: "contains", value: tag }, columns: ["id", "email", "last_name"] },
    }),
    202,
    "POST /v1/exports",
  );
  // The job runs in the server's workers: poll it until it is done, up to a deadline.
  const deadline = Date.now() + timeoutMs;
  while (!["succeeded", "failed", "cancelled"].includes(job.status)) {
    check(Date.now() < deadline, `export ${job.id} still ${job.status} after ${timeoutMs / 1000} s`);
    await sleep(200);
    const id = job.id;
    job = expect(await client.GET("/v1/exports/{id}", { params: { path: { id } } }), 200, `GET /v1/exports/${id}`);
  }
  check(job.status === "succeeded", `export ${job.id} ${job.status}: ${job.error}`);
  const csv = expect(
    await client.GET("/v1/exports/{id}/download", { params: { path: { id: job.id } }, parseAs: "text" }),
    200,
    `GET /v1/exports/${job.id}/download`,
  );
  return { job, rows: parseCsv(csv) };
}

/** The rows of a CSV as objects by column name. Enough for the columns exported here (ids,
 * e-mails, names without commas or quotes); use a CSV library for arbitrary data. */
function parseCsv(text: string): Record<string, string>[] {
  const [header = "", ...lines] = text.trim().split(/\r?\n/);
  const columns = header.split(",");
  return lines.map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(columns.map((column, i) => [column, cells[i] ?? ""]));
  });
}

/** Follows the changes feed from `after` until `wanted(events)` holds; returns the events seen.
 * `wait` long-polls: the server answers as soon as an event comes, or after 5 s. */
async function followFeed(
  client: Client,
  after: number,
  types: string,
  wanted: (events: Event[]) => boolean,
  timeoutMs = 30_000,
): Promise<Event[]> {
  const events: Event[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!wanted(events)) {
    check(Date.now() < deadline, `the changes feed did not bring the events within ${timeoutMs / 1000} s`);
    const page = expect(
      await client.GET("/v1/events", { params: { query: { after, types, wait: 5 } } }),
      200,
      "GET /v1/events",
    );
    events.push(...page.data);
    after = page.next_after;
  }
  return events;
}

/** The events of type `type` about one of the records `ids` (`data.object` is the record). */
function eventsAbout(events: Event[], type: string, ids: Set<string>): Event[] {
  return events.filter((event) => event.type === type && ids.has((event.data as EventData).object.id));
}

async function main(): Promise<number> {
  const baseUrl = process.env.BASE_URL ?? "http://127.0.0.1:8080";
  const apiKey = process.env.CRM_API_KEY;
  if (!apiKey) {
    console.error("CRM_API_KEY must hold an admin API key (crm_sk_…)");
    return 2;
  }
  const run = randomBytes(4).toString("hex");
  const tag = `scenario-${run}`;
  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });

  // Where the changes feed ends now: the events of this run come after it.
  const contactEvents = "contact.created,contact.updated";
  const start = await feedPosition(client, contactEvents);

  // 1. A company and its people.
  const { company, people } = await createCompanyWithPeople(client, run, tag);
  const ada = people.get("Ada");
  const grace = people.get("Grace");
  check(ada !== undefined && grace !== undefined, "Ada and Grace were not created");
  const ids = new Set([...people.values()].map((contact) => contact.id));
  step(`created company ${company.id} and contacts ${[...ids].join(", ")} (tag ${tag})`);

  // 2. Search: this run's customers are Ada and Grace, sorted by name (Hopper before Lovelace).
  const found = await searchCustomers(client, tag);
  check(found.join() === [grace.id, ada.id].join(), `the search found ${found}, not Grace and Ada`);
  step("search: the filter language found exactly the two customers");

  // 3. List the company's people two at a time: all three, each once, on two pages.
  const { ids: seen, pages } = await companyPeople(client, company.id, 2);
  check([...seen].sort().join() === [...ids].sort().join(), `paging saw ${seen}, not each of ${[...ids]} once`);
  check(pages === 2, `3 contacts by 2 took ${pages} pages`);
  step(`list: ${seen.length} contacts on ${pages} pages of 2, each seen once`);

  // 4. Update with If-Match, then again with the now stale ETag: a 412, re-fetch, retry.
  const { etag } = await getWithEtag(client, ada.id);
  const first = await updateWithRetry(client, ada.id, { job_title: "Analyst" }, etag);
  check(!first.met412 && first.contact.job_title === "Analyst", "the first conditional update did not apply");
  const second = await updateWithRetry(client, ada.id, { lifecycle_stage: "evangelist" }, etag);
  check(second.met412, `PATCH with the stale ETag ${etag} was not refused with a 412`);
  // The retry kept the first change: no update was lost.
  const updated = second.contact;
  check(updated.lifecycle_stage === "evangelist" && updated.job_title === "Analyst",
    `after the retry: stage ${updated.lifecycle_stage}, job title ${updated.job_title}`);
  step(`update: If-Match ${etag} applied, the same ETag again got 412 version_mismatch, ` +
    `the retry on the fresh one applied (version ${updated.version})`);

  // 5. The timeline shows the change, field by field.
  const change = await findChange(client, ada.id, "job_title", "Analyst");
  check(change !== undefined, "the timeline has no change of job_title to Analyst");
  step(`timeline: change ${change.id} set job_title to Analyst`);

  // 6. Export this run's contacts to CSV.
  const { job, rows } = await exportCsv(client, tag);
  const exported = new Map(rows.map((row) => [row.id ?? "", row]));
  check(rows.length === 3 && [...ids].every((id) => exported.has(id)),
    `the export holds ${[...exported.keys()]}, not ${[...ids]}`);
  for (const contact of people.values()) {
    const row = exported.get(contact.id);
    check(row !== undefined && row.email === contact.email && row.last_name === contact.last_name,
      `the export's row for ${contact.id}: ${JSON.stringify(row)}`);
  }
  check(job.rows_written === 3, `the export says ${job.rows_written} rows`);
  step(`export: ${job.id} wrote the 3 contacts to CSV`);

  // 7. The changes feed: a contact.created for each, and contact.updated for Ada's two updates.
  const allArrived = (events: Event[]) =>
    eventsAbout(events, "contact.created", ids).length === 3 &&
    eventsAbout(events, "contact.updated", ids).length === 2;
  const events = await followFeed(client, start, contactEvents, allArrived);
  const created = eventsAbout(events, "contact.created", ids);
  const updates = eventsAbout(events, "contact.updated", ids);
  // `previous_attributes` holds the old values of what each update changed.
  const previous = updates.map((event) => (event.data as EventData).previous_attributes ?? {});
  check("job_title" in (previous[0] ?? {}) && previous[1]?.lifecycle_stage === "customer",
    `previous_attributes of the updates: ${JSON.stringify(previous)}`);
  step(`events: ${created.length} contact.created and ${updates.length} contact.updated ` +
    `(seq ${updates.map((event) => event.seq).join(", ")})`);
  console.log("scenario passed");
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  // A Surprise is an unexpected answer; anything else (the server unreachable, …) is shown with
  // its cause: fetch says only "fetch failed", its cause says why.
  let message = String(error);
  if (error instanceof Surprise) message = error.message;
  else if (error instanceof Error && error.cause) message += ` (${String(error.cause)})`;
  console.error(`scenario failed: ${message}`);
  process.exitCode = 1;
}
