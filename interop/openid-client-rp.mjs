// openid-client (an independent, certified OpenID Connect RP) signs in to a running
// `ssowizard harness --json`: discovery, the authorization code flow with PKCE S256, state
// and nonce, the login form posted as a browser would (no browser: fetch plus a cookie
// jar), the code redeemed with the client secret, and the ID token checked by openid-client
// including its signature against the harness JWKS (enableNonRepudiationChecks).
//
// Usage: NODE_EXTRA_CA_CERTS=<ca_cert> node interop/openid-client-rp.mjs '<the --json line>'
// Exit status: 0 signed in and verified; 1 the login or a check failed; 2 bad usage.
import * as client from 'openid-client';

function fail(code, msg) {
  console.error(`openid-client-rp: ${msg}`);
  process.exit(code);
}

let facts;
try {
  facts = JSON.parse(process.argv[2] ?? '');
} catch {
  fail(2, "give the harness's --json line as the only argument");
}
const user = facts.users?.[0];
const app = facts.apps?.[0];
if (!user || !app) fail(2, 'the facts list no user or no app to sign in with');
const redirectURI = app.redirect_uris.find((u) => u.startsWith('http://127.0.0.1'));
if (!redirectURI) fail(2, `app ${app.app_id} has no loopback redirect URI to receive the code on`);

// The cookie jar: the harness's CSRF and session cookies, as a browser keeps them.
const jar = new Map();
async function request(url, init = {}) {
  const headers = new Headers(init.headers);
  if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
  }
  return res;
}

// describe turns an exception into one line; a TLS failure names the CA Node must trust.
function describe(err, caCert) {
  let msg = `${err && err.message ? err.message : err}`;
  if (err && err.cause) msg += ` (${err.cause.message ?? err.cause})`;
  if (/certificate|self.signed/i.test(msg)) {
    msg += `; Node must trust the harness CA: NODE_EXTRA_CA_CERTS=${caCert ?? 'the ca_cert of the facts'} (now ${process.env.NODE_EXTRA_CA_CERTS ?? 'unset'})`;
  }
  return msg;
}

function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos|#39);/gi, (_, e) => {
    const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e.toLowerCase()];
    if (named) return named;
    return String.fromCodePoint(e[1].toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

// The login page contract (DESIGN.md): one POST form with inputs named login and passwd
// plus hidden inputs that must all be sent back.
function loginForm(html) {
  const form = html.match(/<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i);
  if (!form) return null;
  const fields = new URLSearchParams();
  for (const m of form[2].matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields.append(decodeEntities(m[1]), decodeEntities(m[2]));
  }
  return { action: decodeEntities(form[1]), fields, hasLogin: /name="login"/.test(form[2]), hasPasswd: /name="passwd"/.test(form[2]) };
}

function pageError(html) {
  const m = html.match(/id="error"[^>]*>([^<]*)</);
  return m ? decodeEntities(m[1]).trim() : '';
}

async function main() {
  const started = Date.now();
  const config = await client.discovery(new URL(facts.authority), app.app_id, app.client_secret, undefined, {
    execute: [client.enableNonRepudiationChecks],
  });
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authURL = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectURI,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });

  let res = await request(authURL);
  if (res.status !== 200) fail(1, `authorize answered ${res.status}, want the login page`);
  let html = await res.text();
  const form = loginForm(html);
  if (!form || !form.hasLogin || !form.hasPasswd) fail(1, 'the authorize page has no login form with inputs login and passwd');
  form.fields.set('login', user.upn);
  form.fields.set('passwd', user.password);
  res = await request(new URL(form.action, authURL), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.fields,
  });

  // Follow the harness's own redirects until one leaves for the redirect URI.
  let callback = null;
  for (let hops = 0; hops < 10 && !callback; hops++) {
    const loc = res.headers.get('location');
    if (res.status < 300 || res.status > 399 || !loc) {
      html = await res.text();
      fail(1, `after posting the login form the harness answered ${res.status}, not a redirect to ${redirectURI}${pageError(html) ? ': ' + pageError(html) : ''}`);
    }
    const next = new URL(loc, res.url || authURL);
    if (next.href.startsWith(redirectURI)) callback = next;
    else res = await request(next);
  }
  if (!callback) fail(1, 'more than 10 redirects without reaching the redirect URI');
  if (callback.searchParams.get('error')) {
    fail(1, `the harness answered ${callback.searchParams.get('error')}: ${callback.searchParams.get('error_description')}`);
  }

  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const problems = [];
  if (claims.iss !== facts.authority) problems.push(`iss ${claims.iss}, want ${facts.authority}`);
  if (claims.aud !== app.app_id) problems.push(`aud ${claims.aud}, want ${app.app_id}`);
  if (claims.tid !== facts.tenant_id) problems.push(`tid ${claims.tid}, want ${facts.tenant_id}`);
  if (claims.preferred_username !== user.upn) problems.push(`preferred_username ${claims.preferred_username}, want ${user.upn}`);
  if (!tokens.access_token) problems.push('no access_token');
  if (problems.length) fail(1, `ID token claims: ${problems.join('; ')}`);
  console.log(`openid-client-rp: ok: ${user.upn} signed in to ${app.display_name} with the code flow and PKCE; openid-client verified the ID token's signature, iss, aud and nonce in ${Date.now() - started} ms`);
}

main().catch((err) => fail(1, describe(err, facts?.ca_cert)));
