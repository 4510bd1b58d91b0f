// The GraphQL-over-HTTP server audits of the graphql-http package, run against a live server.
// Usage: node graphql_http_audit.mjs http://127.0.0.1:PORT/graphql
// Prints one JSON line per audit: {id, name, status: "ok" | "warn" | "error", reason}.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const audits = serverAudits({ url, fetchFn: fetch });
for (const audit of audits) {
  const result = await audit.fn();
  console.log(JSON.stringify({ id: audit.id, name: audit.name, status: result.status, reason: result.reason ?? null }));
}
