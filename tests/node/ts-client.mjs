// The official MCP TypeScript SDK client, driven through a whole OAuth sign-in by a test.
//
// Usage: node ts-client.mjs <mcp_url> <redirect_uri>
// Protocol with the test (one JSON object per line):
//   stdout {"event":"authorize","url":...}   the test plays the browser with this URL, then
//   stdin  <the URL the browser landed on>   (the client's redirect URI with code, state, iss)
//   stdout {"event":"tool","result":...}     list_dialogs after sign-in
//   stdout {"event":"tool","result":...}     list_dialogs again, after a stale access token forced a refresh
//   stdout {"event":"refreshed","tokens":{scope, rotated, saves}}
//   stdout {"event":"done"}

import readline from "node:readline";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [mcpUrl, redirectUri] = process.argv.slice(2);
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const say = (event) => console.log(JSON.stringify(event));

class TestProvider {
  constructor() {
    this.saved = { client: undefined, tokens: undefined, verifier: undefined };
    this.history = [];
  }
  get redirectUrl() {
    return redirectUri;
  }
  get clientMetadata() {
    return {
      client_name: "TypeScript SDK test",
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return this.saved.client;
  }
  saveClientInformation(info) {
    this.saved.client = info;
  }
  tokens() {
    return this.saved.tokens;
  }
  saveTokens(tokens) {
    this.saved.tokens = tokens;
    this.history.push(tokens);
  }
  redirectToAuthorization(url) {
    say({ event: "authorize", url: url.toString() });
  }
  saveCodeVerifier(verifier) {
    this.saved.verifier = verifier;
  }
  codeVerifier() {
    return this.saved.verifier;
  }
}

const provider = new TestProvider();
const newClient = () => new Client({ name: "mctltg-ts-test", version: "1.0.0" });

let client = newClient();
let transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
try {
  await client.connect(transport);
  throw new Error("the server let an unauthenticated client connect");
} catch (error) {
  if (!(error instanceof UnauthorizedError)) throw error;
}
const landed = new URL((await lines.next()).value);
await transport.finishAuth(landed.searchParams.get("code"));

client = newClient();
transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
await client.connect(transport);
say({ event: "tool", result: await client.callTool({ name: "list_dialogs", arguments: {} }) });

// Make the access token stale (as after expiry): the next request gets 401, and the SDK refreshes.
const before = provider.saved.tokens;
provider.saved.tokens = { ...before, access_token: "stale" };
say({ event: "tool", result: await client.callTool({ name: "list_dialogs", arguments: { limit: 1 } }) });
const after = provider.saved.tokens;
say({
  event: "refreshed",
  tokens: {
    scope: after.scope,
    rotated: after.refresh_token !== before.refresh_token && after.access_token !== before.access_token,
    saves: provider.history.length,
  },
});
await client.close();
say({ event: "done" });
process.exit(0);
