// Apollo Client 4 with its persisted-queries link over an HttpLink, as an app builds it.
// stdin: {url, query, variables?, useGET?, runs?}. Runs the query `runs` times (default 2),
// each time from the network, and records every request the client actually sent.
// stdout: {results: [{data, error}], requests: [{method, query, body, status, headers, answer}]}
// where `query` is the URL's query parameters (GET) and `body` the parsed JSON body (POST).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

const input = JSON.parse(readFileSync(0, "utf8"));
const requests = [];

// fetch as the client calls it, with what went out and what came back written down.
async function recordingFetch(resource, init = {}) {
  const url = new URL(String(resource));
  const response = await fetch(resource, init);
  const answer = await response.clone().text();
  requests.push({
    method: init.method ?? "GET",
    query: Object.fromEntries(url.searchParams),
    body: typeof init.body === "string" ? JSON.parse(init.body) : null,
    status: response.status,
    headers: {
      "cache-control": response.headers.get("cache-control"),
      "content-type": response.headers.get("content-type"),
      "x-mychangsha-cache": response.headers.get("x-mychangsha-cache"),
    },
    answer: JSON.parse(answer),
  });
  return response;
}

const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const client = new ApolloClient({
  cache: new InMemoryCache(),
  link: new PersistedQueryLink({ sha256, useGETForHashedQueries: Boolean(input.useGET) }).concat(
    new HttpLink({ uri: input.url, fetch: recordingFetch }),
  ),
});

const query = gql(input.query);
const results = [];
for (let run = 0; run < (input.runs ?? 2); run += 1) {
  const { data, error } = await client.query({
    query,
    variables: input.variables,
    fetchPolicy: "network-only",
  });
  results.push({ data: data ?? null, error: error ? String(error) : null });
}
process.stdout.write(JSON.stringify({ results, requests }));
