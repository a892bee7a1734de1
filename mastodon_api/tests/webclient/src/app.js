// A minimal Mastodon web client: registers itself, logs in with the authorization-code flow and
// PKCE (S256), then reads the home timeline with masto.js. Its state lives in sessionStorage.
import { createOAuthAPIClient, createRestAPIClient } from "masto";

const params = new URLSearchParams(location.search);
const server = params.get("server") || sessionStorage.getItem("server");
const redirectUri = location.origin + location.pathname;
const scope = "read write";

function report(result) {
  window.clientResult = result;
  document.getElementById("out").textContent = JSON.stringify(result, null, 2);
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function start() {
  const rest = createRestAPIClient({ url: server });
  const app = await rest.v1.apps.create({ clientName: "browser test", redirectUris: redirectUri, scopes: scope });
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(48)));
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem("server", server);
  sessionStorage.setItem("app", JSON.stringify(app));
  sessionStorage.setItem("verifier", verifier);
  const query = new URLSearchParams({
    client_id: app.clientId, redirect_uri: redirectUri, response_type: "code", scope,
    code_challenge: challenge, code_challenge_method: "S256", state: "browser",
  });
  location.assign(`${server}/oauth/authorize?${query}`);
}

async function finish(code) {
  const app = JSON.parse(sessionStorage.getItem("app"));
  const oauth = createOAuthAPIClient({ url: server });
  const token = await oauth.token.create({
    grantType: "authorization_code", clientId: app.clientId, clientSecret: app.clientSecret,
    redirectUri, code, codeVerifier: sessionStorage.getItem("verifier"), scope,
  });
  const rest = createRestAPIClient({ url: server, accessToken: token.accessToken });
  const me = await rest.v1.accounts.verifyCredentials();
  const home = await rest.v1.timelines.home.list({ limit: 5 });
  report({ ok: true, acct: me.acct, scope: token.scope, home: home.map((s) => s.content) });
}

const code = params.get("code");
(code ? finish(code) : start()).catch((error) => report({ ok: false, error: String(error) }));
