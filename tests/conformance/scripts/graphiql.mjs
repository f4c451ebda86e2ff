// The graph's own GraphiQL page in headless Chromium (playwright-core), used as a person would:
// headers (if any) typed into the headers editor, a query typed into the editor and run, then a
// subscription run and watched.
// stdin: {url (the graph's base URL), headers?, query, subscription, subscriptionPath, expect,
//         timeoutMs?}
// stdout, one JSON line each:
//   {"event": "console", "type", "text"}   an error the page logged or threw, or an HTTP 4xx/5xx
//   {"event": "result", "text"}            the result pane once the query's data shows
//   {"event": "init", "payload"}           the page's socket sent connection_init, with this
//   {"event": "subscribed"}                the page's socket sent the subscription
//   {"event": "frame", "payload"}          a `next` the socket received, as it came
//   {"event": "pane", "text"}              the result pane once `subscriptionPath` is `expect`
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const input = JSON.parse(readFileSync(0, "utf8"));
const timeout = input.timeoutMs ?? 30000;
const emit = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  timeout,
});

try {
  const page = await browser.newPage();
  page.setDefaultTimeout(timeout);
  page.on("console", (message) => {
    if (message.type() === "error") emit({ event: "console", type: "error", text: message.text() });
  });
  page.on("pageerror", (error) => emit({ event: "console", type: "pageerror", text: String(error) }));
  page.on("response", async (response) => {
    if (response.status() < 400) return;
    const request = response.request();
    emit({
      event: "console",
      type: "http",
      text: `${request.method()} ${request.url()} ${request.postData() ?? ""} -> ${response.status()} ${await response.text()}`,
    });
  });
  page.on("websocket", (socket) => {
    socket.on("framesent", ({ payload }) => {
      const message = JSON.parse(String(payload));
      if (message.type === "connection_init") emit({ event: "init", payload: message.payload });
      if (message.type === "subscribe") emit({ event: "subscribed" });
    });
    socket.on("framereceived", ({ payload }) => {
      const message = JSON.parse(String(payload));
      if (message.type === "next") emit({ event: "frame", payload: message.payload });
    });
  });

  await page.goto(`${input.url}/graphql`);
  const editor = ".graphiql-query-editor .CodeMirror";
  await page.waitForFunction((selector) => document.querySelector(selector)?.CodeMirror, editor);

  // Puts a document in the query editor, as typing would, and presses the run button once
  // GraphiQL has read the edit: it parses the editor 100 ms after a change (which tells it
  // whether to use the socket) and saves the text in the same step.
  async function run(document) {
    await page.evaluate(
      ([selector, text]) => document.querySelector(selector).CodeMirror.setValue(text),
      [editor, document],
    );
    await page.waitForFunction((text) => localStorage.getItem("graphiql:query") === text, document);
    await page.click(".graphiql-execute-button");
  }

  // The result pane's text once it holds JSON whose value at `path` is there (or `expected`).
  async function paneWhen(path, expected) {
    const handle = await page.waitForFunction(
      ([keys, wanted]) => {
        const text = document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror?.getValue();
        let value;
        try {
          value = keys.reduce((node, key) => node?.[key], JSON.parse(text));
        } catch {
          return false;
        }
        return (wanted === undefined ? value !== undefined : value === wanted) && text;
      },
      [path, expected],
    );
    return handle.jsonValue();
  }

  // Opens the headers tab and puts the headers there as JSON, as typing would. GraphiQL reads
  // that editor's text when the run button is pressed (it keeps no copy of its own to wait
  // for: the page turns header persistence off), so the headers count once the editor shows
  // them. Its fetcher sends them with HTTP requests and as the socket's connection_init payload.
  async function setHeaders(headers) {
    await page.click(".graphiql-editor-tools-tabs button:text-is('Headers')");
    const headersEditor =
      '.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror';
    await page.waitForFunction(
      (selector) => document.querySelector(selector)?.CodeMirror,
      headersEditor,
    );
    await page.evaluate(
      ([selector, text]) => document.querySelector(selector).CodeMirror.setValue(text),
      [headersEditor, JSON.stringify(headers, null, 2)],
    );
  }

  if (input.headers) await setHeaders(input.headers);
  await run(input.query);
  emit({ event: "result", text: await paneWhen(["data"]) });
  await run(input.subscription);
  emit({ event: "pane", text: await paneWhen(input.subscriptionPath, input.expect) });
} finally {
  await browser.close();
}
