// A real OpenID Connect provider on loopback, standing in for Telegram's in tests.
//
// It is panva's certified `oidc-provider`, configured like Telegram's OIDC: the
// authorization-code flow with PKCE (S256), RS256-signed id_tokens that carry the
// Telegram user id in an `id` claim (here as a string, which mctltg must accept).
// Its sign-in page is a plain form (`login` = the Telegram user id to sign in as),
// so tests drive it headlessly with an HTTP client.
//
// With a fourth argument `generic` it is any other standard provider instead: `login`
// is a `sub` of any shape (`johndoe`) and id_tokens carry no `id` claim. In both
// flavours an empty `login` is refused with `access_denied` (a person who cancelled).
//
// Usage: node oidc-provider.mjs <client_id> <client_secret> <redirect_uri> [generic]
// Prints `READY <issuer>` once it listens on an ephemeral 127.0.0.1 port.

import { generateKeyPairSync } from "node:crypto";
import http from "node:http";

import Provider from "oidc-provider";

const [clientId, clientSecret, redirectUri, flavour = "telegram"] = process.argv.slice(2);
const generic = flavour === "generic";
if (!clientId || !clientSecret || !redirectUri) {
  console.error("usage: oidc-provider.mjs <client_id> <client_secret> <redirect_uri>");
  process.exit(2);
}

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: "test-rs256", use: "sig", alg: "RS256" };

const server = http.createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: ["mctltg-test-cookie-key-not-a-secret"] },
  pkce: { required: () => true },
  conformIdTokenClaims: false,
  claims: { openid: ["sub"], profile: ["id", "name"] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return generic ? { sub, name: `Test user ${sub}` } : { sub, id: String(sub), name: `Test user ${sub}` };
      },
    };
  },
});

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => resolve(new URLSearchParams(body)));
    req.on("error", reject);
  });
}

const callback = provider.callback();
server.on("request", async (req, res) => {
  const match = /^\/interaction\/([\w-]+)$/.exec(req.url.split("?")[0]);
  if (!match) {
    callback(req, res);
    return;
  }
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === "GET") {
      res.setHeader("content-type", "text/html; charset=utf-8");
      res.end(
        `<!doctype html><title>Sign in</title><form method="post" action="/interaction/${details.uid}">` +
          `<label>${generic ? "User name" : "Telegram user id"} <input name="login"></label><button>Sign in</button></form>`,
      );
      return;
    }
    const form = await readForm(req);
    const accountId = form.get("login");
    if (!(generic ? /^\S+$/ : /^\d+$/).test(accountId ?? "")) {
      await provider.interactionFinished(req, res, { error: "access_denied" });
      return;
    }
    const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
    grant.addOIDCScope("openid profile");
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } });
  } catch (error) {
    res.statusCode = 500;
    res.end(String(error));
  }
});

console.log(`READY ${issuer}`);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
