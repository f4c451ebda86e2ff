// Hive Gateway in front of the mychangsha subgraphs (`mychangsha serve --subgraph NAME`).
//
//   npx @graphql-hive/gateway supergraph supergraph.graphql -c deploy/gateway/gateway.config.mjs
//
// A plain object rather than `defineConfig(...)`, so the file needs no package beside it.
// The suite runs the app's operations through a gateway started with this very file
// (tests/federation/test_gateway_journeys.py).

/** Headers a subgraph needs from the client: who asks, in which language, which request;
 * with the connection_init keys that carry the same over a socket. */
const FORWARDED = {
  authorization: ["Authorization", "authorization"],
  "accept-language": ["acceptLanguage"],
  "x-request-id": [],
  traceparent: [],
};

export const gatewayConfig = {
  propagateHeaders: {
    // Queries and mutations: the client's headers; over a socket to the gateway, the token
    // arrives in connection_init, whose payload the gateway keeps as `connectionParams`.
    fromClientToSubgraphs({ request, context }) {
      const params = context?.connectionParams ?? {};
      const headers = {};
      for (const [name, keys] of Object.entries(FORWARDED)) {
        const value = request.headers.get(name) ?? keys.map((key) => params[key]).find(Boolean);
        if (value) headers[name] = value;
      }
      return headers;
    },
  },
  transportEntries: {
    // Subscriptions reach the subgraphs over graphql-transport-ws (the protocol they speak),
    // with the client's token in connection_init as a client would send it. The context's
    // headers hold the HTTP request's (lower-case) and the client's connection_init payload.
    "*.http": {
      options: {
        subscriptions: {
          kind: "ws",
          location: "/graphql",
          options: {
            connectionParams: {
              Authorization: "{context.headers.Authorization}",
              authorization: "{context.headers.authorization}",
              acceptLanguage: "{context.headers.acceptLanguage}",
            },
          },
        },
      },
    },
  },
};
