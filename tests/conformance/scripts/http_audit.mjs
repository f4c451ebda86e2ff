// graphql-http's own audit of a GraphQL-over-HTTP server (the spec's MUST/SHOULD/MAY items).
// stdin: {"url": "http://host:port/graphql"}; stdout: [{id, name, status, reason?, response?}]
// where a failing item also carries the status and the first 500 characters of its response.
import { readFileSync } from "node:fs";
import { auditServer } from "graphql-http";

const { url } = JSON.parse(readFileSync(0, "utf8"));
const results = await auditServer({ url, fetchFn: fetch });
const report = [];
for (const result of results) {
  const item = { id: result.id, name: result.name, status: result.status };
  if (result.status !== "ok") {
    item.reason = result.reason;
    const response = result.response;
    item.response = {
      status: response.status,
      contentType: response.headers.get("content-type"),
      body: (await response.text()).slice(0, 500),
    };
  }
  report.push(item);
}
process.stdout.write(JSON.stringify(report));
