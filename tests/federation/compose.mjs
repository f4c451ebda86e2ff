// Composes subgraph SDLs into a supergraph with @theguild/federation-composition.
// stdin: JSON [{name, url, typeDefs}]; stdout: the supergraph SDL, or with `--public` the
// API schema clients see; exit 1 with the composition errors on stderr when the subgraphs
// do not compose.
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { composeServices } from "@theguild/federation-composition";

const services = JSON.parse(readFileSync(0, "utf8")).map((service) => ({
  name: service.name,
  url: service.url,
  typeDefs: parse(service.typeDefs),
}));
const result = composeServices(services);
if (result.errors && result.errors.length > 0) {
  for (const error of result.errors) {
    process.stderr.write(`${error.message}\n`);
  }
  process.exit(1);
}
process.stdout.write(process.argv.includes("--public") ? result.publicSdl : result.supergraphSdl);
