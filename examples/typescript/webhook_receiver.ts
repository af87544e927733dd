// A webhook receiver for crm on Node's standard library alone: verifies each delivery to the
// Standard Webhooks specification (the timestamp within 5 minutes, every `v1,` signature of
// the header compared in constant time), drops duplicates by `webhook-id` (a retry carries the
// same one), and prints each event.
//
//   WEBHOOK_SECRET=whsec_... node webhook_receiver.js   # listens on 127.0.0.1:8001
//
// Answer 2xx quickly: anything else, or no answer within 15 s, is retried.

import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, IncomingMessage } from "node:http";

const TOLERANCE_SECONDS = 5 * 60;

/** The signing key of a `whsec_<base64>` secret. */
function signingKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
}

/** Whether `headers` sign `body` with `key`, within the timestamp tolerance. */
export function verify(key: Buffer, headers: IncomingMessage["headers"], body: Buffer, now = Date.now() / 1000): boolean {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (typeof id !== "string" || typeof timestamp !== "string" || typeof signatures !== "string") return false;
  const seconds = Number(timestamp);
  if (!Number.isInteger(seconds) || Math.abs(now - seconds) > TOLERANCE_SECONDS) return false;
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest();
  return signatures.split(" ").some((signature) => {
    if (!signature.startsWith("v1,")) return false;
    const given = Buffer.from(signature.slice(3), "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

// The specification's test vector: a receiver that gets this wrong must not start.
const vector = {
  "webhook-id": "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
  "webhook-timestamp": "1649367553",
  "webhook-signature": "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
};
const vectorBody = Buffer.from('{"email":"test@example.com","username":"test_user"}');
if (!verify(signingKey("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"), vector, vectorBody, 1649367553)) {
  throw new Error("the Standard Webhooks test vector does not verify");
}

const secret = process.env.WEBHOOK_SECRET;
if (secret) {
  const key = signingKey(secret);
  const [host, port] = (process.env.LISTEN ?? "127.0.0.1:8001").split(":");
  const seen = new Set<string>(); // keep these in your database in real life
  createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      if (!verify(key, request.headers, body)) {
        response.writeHead(400).end();
        console.log("refused: bad signature or timestamp");
        return;
      }
      const id = request.headers["webhook-id"] as string;
      const event = JSON.parse(body.toString("utf8"));
      console.log(seen.has(id) ? `duplicate ${id}` : JSON.stringify({ verified: id, type: event.type, seq: event.seq }));
      seen.add(id);
      response.writeHead(204).end();
    });
  }).listen(Number(port), host, () => console.log(`listening on http://${host}:${port}`));
}
