// The reference graphql-transport-ws client (graphql-ws's createClient over the `ws` package).
// stdin: {url, connectionParams?, subscribe?: {query, variables?}, queries?: [{query,
// variables?}], count?, timeoutMs?}. Connects eagerly, starts the subscription (if any), then
// runs the queries one after another on the same socket. Prints one JSON line per happening:
//   {"event": "connected", "payload"}          the server acknowledged connection_init
//   {"event": "result", "index", "nexts", "error"}  one query ended (error: how it failed)
//   {"event": "subscribed"}                    the subscription was sent and the queries ran
//   {"event": "next", "payload"}               the subscription pushed a result
//   {"event": "error", "error"} / {"event": "complete"}   the subscription ended
//   {"event": "closed", "code", "reason"}      the socket closed
//   {"event": "done", "connections", "closes"} `count` events came (without a count, a
//                                              subscription runs until stopped), or no subscription
//   {"event": "timeout"}                       timeoutMs passed first (exit code 3)
import { readFileSync } from "node:fs";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const input = JSON.parse(readFileSync(0, "utf8"));
const emit = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
let connections = 0;
let closes = 0;

// What a sink's error was: the server's GraphQL errors, a close event, or a thrown Error.
function describe(error) {
  if (Array.isArray(error)) return { errors: error };
  if (error && typeof error.code === "number") return { code: error.code, reason: error.reason };
  return { message: String(error && error.message ? error.message : error) };
}

const client = createClient({
  url: input.url,
  webSocketImpl: WebSocket,
  connectionParams: input.connectionParams,
  lazy: false,
  retryAttempts: 0,
  onNonLazyError: (error) => emit({ event: "fatal", error: describe(error) }),
  on: {
    connected: (_socket, payload) => {
      connections += 1;
      emit({ event: "connected", payload: payload ?? null });
    },
    closed: (event) => {
      closes += 1;
      emit({ event: "closed", code: event?.code, reason: event?.reason });
    },
  },
});

async function finish(code) {
  if (code === 0) emit({ event: "done", connections, closes });
  await client.dispose();
  process.exit(code);
}

setTimeout(() => {
  emit({ event: "timeout" });
  finish(3);
}, input.timeoutMs ?? 20000);

let received = 0;
if (input.subscribe) {
  client.subscribe(input.subscribe, {
    next: (payload) => {
      emit({ event: "next", payload });
      received += 1;
      if (received === input.count) finish(0);
    },
    error: (error) => emit({ event: "error", error: describe(error) }),
    complete: () => emit({ event: "complete" }),
  });
}

// One operation to its end: every result it pushed, and how it failed if it did.
function run(operation) {
  return new Promise((resolve) => {
    const nexts = [];
    client.subscribe(operation, {
      next: (payload) => nexts.push(payload),
      error: (error) => resolve({ nexts, error: describe(error) }),
      complete: () => resolve({ nexts, error: null }),
    });
  });
}

const queries = input.queries ?? [];
for (const [index, operation] of queries.entries()) {
  emit({ event: "result", index, ...(await run(operation)) });
}
emit({ event: "subscribed" });
if (!input.subscribe) await finish(0);
