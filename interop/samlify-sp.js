#!/usr/bin/env node
// samlify-sp.js: samlify (an independent SAML implementation, on xml-crypto) as the
// vendor's Service Provider signs in to a running `ssowizard harness --json`: it reads
// the app's federation metadata, sends an AuthnRequest by HTTP-Redirect, posts the login
// form as a browser would (fetch plus a cookie jar), takes the SAMLResponse from the
// auto-submitting form, and has samlify check it: XML schema (xmllint), signature
// against the metadata's certificates, issuer, timing. The script then checks what
// samlify leaves to the SP: InResponseTo, audience, NameID, and where the signature is.
//
//   NODE_EXTRA_CA_CERTS=<ca_cert> node interop/samlify-sp.js '<the --json line>' [assertion|response|both]
//
// The last argument says which signatures the harness was told to make (its default,
// the sign-response scenario, the sign-both scenario). Exit status: 0 signed in and
// verified; 1 a step failed; 2 bad usage.
'use strict';

const samlify = require('samlify');
const validator = require('@authenio/samlify-node-xmllint');

let caCert; // for the message when TLS fails
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

function fail(code, msg) {
  console.error(`samlify-sp: ${msg}`);
  process.exit(code);
}

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
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (_, e) => {
    const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e.toLowerCase()];
    if (named) return named;
    return String.fromCodePoint(e[1].toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

// A POST form's action and every named input, hidden or not (DESIGN.md: the login page
// is one form with login and passwd plus hidden inputs; the SAML answer is an
// auto-submitting form with SAMLResponse and RelayState).
function postForm(html) {
  const form = html.match(/<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i);
  if (!form) return null;
  const fields = new URLSearchParams();
  for (const m of form[2].matchAll(/<input\b[^>]*>/gi)) {
    const name = m[0].match(/\bname="([^"]*)"/);
    const value = m[0].match(/\bvalue="([^"]*)"/);
    if (name) fields.append(decodeEntities(name[1]), value ? decodeEntities(value[1]) : '');
  }
  return { action: decodeEntities(form[1]), fields };
}

function pageError(html) {
  const m = html.match(/id="error"[^>]*>([^<]*)</);
  return m ? decodeEntities(m[1]).trim() : '';
}

// Which elements carry a signature: the Response's own Signature is its direct child,
// outside the Assertion.
function signedParts(xml) {
  const a = xml.search(/<(\w+:)?Assertion[\s>]/);
  const aEnd = xml.search(/<\/(\w+:)?Assertion>/);
  const parts = new Set();
  for (const m of xml.matchAll(/<(\w+:)?Signature[\s>]/g)) {
    parts.add(a >= 0 && m.index > a && m.index < aEnd ? 'assertion' : 'response');
  }
  return parts;
}

async function main() {
  let facts;
  try {
    facts = JSON.parse(process.argv[2] ?? '');
  } catch {
    fail(2, "give the harness's --json line as the first argument");
  }
  caCert = facts.ca_cert;
  const mode = process.argv[3] ?? 'assertion';
  if (!['assertion', 'response', 'both'].includes(mode)) fail(2, `signing mode ${mode} is not assertion, response or both`);
    const user = facts.users?.[0];
  const app = facts.apps?.find((a) => a.identifier_uris?.length);
  if (!user || !app) fail(2, 'the facts list no user, or no app with an identifier URI (Entity ID)');
  const acs = app.redirect_uris.find((u) => u.startsWith('http://127.0.0.1') && u.includes('acs'))
    ?? app.redirect_uris.find((u) => u.includes('acs')) ?? app.redirect_uris[0];
  if (!acs) fail(2, `app ${app.app_id} has no reply URL`);

  jar.clear();

  // xmllint compiled to JavaScript takes seconds to load the SAML schemas: timed apart,
  // so the login's own time stays readable.
  let schemaMs = 0;
  samlify.setSchemaValidator({
    validate: async (xml) => {
      const t = Date.now();
      try {
        return await validator.validate(xml);
      } finally {
        schemaMs += Date.now() - t;
      }
    },
  });
  const started = Date.now();
  const md = await request(app.saml_metadata_url);
  if (md.status !== 200) fail(1, `the app federation metadata URL answered ${md.status}`);
  const idp = samlify.IdentityProvider({ metadata: await md.text() });
  const sp = samlify.ServiceProvider({
    entityID: app.identifier_uris[0],
    authnRequestsSigned: false,
    wantAssertionsSigned: mode !== 'response',
    wantMessageSigned: mode !== 'assertion',
    nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
    assertionConsumerService: [{ Binding: POST, Location: acs }],
  });
  const relayState = 'samlify-' + Math.random().toString(36).slice(2);
  const { id, context } = sp.createLoginRequest(idp, 'redirect', { relayState });

  let res = await request(context);
  let html = await res.text();
  if (res.status !== 200) fail(1, `the SAML endpoint answered the AuthnRequest with ${res.status}${pageError(html) ? ': ' + pageError(html) : ''}`);
  const login = postForm(html);
  if (!login || !login.fields.has('login') || !login.fields.has('passwd')) {
    fail(1, `the SAML endpoint did not show the login form${pageError(html) ? ': ' + pageError(html) : ''}`);
  }
  login.fields.set('login', user.upn);
  login.fields.set('passwd', user.password);
  res = await request(new URL(login.action, context), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: login.fields,
  });
  html = await res.text();
  const answer = postForm(html);
  if (res.status !== 200 || !answer || !answer.fields.get('SAMLResponse')) {
    fail(1, `after the login form the harness answered ${res.status} without a SAMLResponse form${pageError(html) ? ': ' + pageError(html) : ''}`);
  }
  if (answer.action !== acs) fail(1, `the SAMLResponse form posts to ${answer.action}, want the ACS URL ${acs}`);
  if (answer.fields.get('RelayState') !== relayState) {
    fail(1, `RelayState came back as ${JSON.stringify(answer.fields.get('RelayState'))}, want ${relayState}`);
  }

  const { extract, samlContent } = await sp.parseLoginResponse(idp, 'post', {
    body: { SAMLResponse: answer.fields.get('SAMLResponse'), RelayState: answer.fields.get('RelayState') },
  });
  const problems = [];
  if (extract.response?.inResponseTo !== id) problems.push(`InResponseTo ${extract.response?.inResponseTo}, want ${id}`);
  const audiences = [].concat(extract.audience ?? []);
  if (!audiences.includes(app.identifier_uris[0])) problems.push(`audience ${audiences}, want ${app.identifier_uris[0]}`);
  if (extract.response?.destination !== acs) problems.push(`Destination ${extract.response?.destination}, want ${acs}`);
  if (!extract.nameID) problems.push('no NameID');
  const signed = signedParts(Buffer.from(answer.fields.get('SAMLResponse'), 'base64').toString('utf8'));
  const want = mode === 'both' ? ['assertion', 'response'] : [mode];
  if ([...signed].sort().join() !== want.join()) problems.push(`signed: ${[...signed].sort()}, want ${want}`);
  if (problems.length) fail(1, `samlify accepted the response but: ${problems.join('; ')}`);
  const attrs = Object.keys(extract.attributes ?? {}).length;
  console.log(`samlify-sp: ok: ${extract.nameID} signed in to ${app.display_name} by HTTP-Redirect AuthnRequest and POST Response (${mode} signed, schema-valid, ${attrs} attributes) in ${Date.now() - started - schemaMs} ms plus ${schemaMs} ms of xmllint schema check; response ${samlContent.length} bytes`);
}

main().catch((err) => fail(1, describe(err, caCert)));
