#!/usr/bin/env node
// samlify-idp-server.js: samlify (an independent SAML implementation, on xml-crypto) as
// a live IdP on 127.0.0.1, for ssowizard's embedded SP to sign in against. It serves its
// metadata, takes the SP's metadata as an admin would upload it, parses the SP's
// HTTP-Redirect AuthnRequest with samlify (XML schema checked by xmllint), signs in a
// fixed test user without a form, and answers with the auto-submitting POST form a
// browser carries to the SP's ACS: a Response with InResponseTo and the RelayState, the
// assertion signed with RSA-SHA256 by the committed test key.
//
//   node interop/samlify-idp-server.js [--port N] [--exit-with-stdin]
//
// On start it prints one JSON line on stdout:
//   {"entity_id":…,"metadata_url":…,"sso_url":…,"sp_metadata_url":…,"user":…}
// POST the SP's metadata (XML) to sp_metadata_url before the login. --exit-with-stdin
// ends the server when its standard input closes, so a test that dies leaves no server.
// The ACS the AuthnRequest names is honoured when it is one of the metadata's POST ACS
// URLs, or differs from one only by port on a loopback host, as Entra treats
// http://127.0.0.1 reply URLs.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const crypto = require('crypto');
const samlify = require('samlify');
const validator = require('@authenio/samlify-node-xmllint');

const repo = path.resolve(__dirname, '..');
const keys = path.join(repo, 'inspect', 'testdata', 'keys');
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const MAX_BODY = 1 << 20;

// xmllint (emscripten) prints its chatter with console.log; stdout carries only the JSON
// line a test reads, so the chatter goes to stderr.
console.log = (...a) => console.error(...a);

// The one user this IdP signs in; claim names as Entra sends them, so the SP's findings
// read as they would for a real tenant.
const user = {
  email: 'alice@contoso.example', oid: '0f4e5a38-6d2b-4a8e-9e1c-3c1d2b0a9f11',
  given: 'Alice', surname: 'Smith', display: 'Alice Smith',
};

function usage(msg) {
  console.error(`samlify-idp-server: ${msg}\nusage: samlify-idp-server.js [--port N] [--exit-with-stdin]`);
  process.exit(2);
}

function parseArgs(argv) {
  const out = { port: 0, exitWithStdin: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 0 || n > 65535) usage(`--port wants a port number, got ${argv[i]}`);
      out.port = n;
    } else if (argv[i] === '--exit-with-stdin') {
      out.exitWithStdin = true;
    } else {
      usage(`unknown argument ${argv[i]}`);
    }
  }
  return out;
}

function escapeHTML(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function escapeXML(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

// errorPage is what a person sees when this IdP refuses a request: one sentence, no form,
// so a browser (or a test playing one) stops there.
function errorPage(res, status, msg) {
  console.error(`samlify-idp-server: refused: ${msg}`);
  send(res, status, 'text/html; charset=utf-8',
    `<!doctype html><title>Sign-in refused</title><h1>Sign-in refused</h1><p id="error">${escapeHTML(msg)}</p>\n`);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(new Error(`body larger than ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isLoopback(host) {
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

// chooseACS returns the ACS to answer at, or null when the request names one the SP's
// metadata does not list (Entra's AADSTS50011).
function chooseACS(requested, registered) {
  if (!requested) return registered[0] ?? null;
  if (registered.includes(requested)) return requested;
  let r;
  try {
    r = new URL(requested);
  } catch {
    return null;
  }
  for (const reg of registered) {
    let g;
    try {
      g = new URL(reg);
    } catch {
      continue;
    }
    if (isLoopback(r.hostname) && r.protocol === g.protocol && r.hostname === g.hostname && r.pathname === g.pathname) {
      return requested;
    }
  }
  return null;
}

function loginResponseXML(values) {
  const attrs = [
    ['http://schemas.microsoft.com/identity/claims/objectidentifier', user.oid],
    ['http://schemas.microsoft.com/identity/claims/displayname', user.display],
    ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname', user.given],
    ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname', user.surname],
    ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', user.email],
    ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', user.email],
  ].map(([n, v]) => `<saml:Attribute Name="${escapeXML(n)}"><saml:AttributeValue>${escapeXML(v)}</saml:AttributeValue></saml:Attribute>`).join('');
  const statements = {
    AuthnStatement: `<saml:AuthnStatement AuthnInstant="${values.IssueInstant}" SessionIndex="${values.AssertionID}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`,
    AttributeStatement: `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>`,
  };
  // replaceTagsByValue escapes what it substitutes, so the statements (markup) go in
  // first, by plain replacement.
  return (template) => {
    let xml = template;
    for (const [tag, markup] of Object.entries(statements)) xml = xml.replace(`{${tag}}`, markup);
    return { id: values.ID, context: samlify.SamlLib.replaceTagsByValue(xml, values) };
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  samlify.setSchemaValidator(validator);
  // xmllint, compiled to JavaScript, takes seconds to start on its first document: warm
  // it before announcing the URLs, so a login is timed as a login.
  await validator.validate('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_warm-up" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"/>');
  const cert = fs.readFileSync(path.join(keys, 'idp-signing.pem'), 'utf8');
  const key = fs.readFileSync(path.join(keys, 'idp-signing-key.pem'), 'utf8');

  let idp = null; // made once the port, and so the URLs, are known
  let sp = null; // the registered SP
  let spACS = [];
  let base = '';

  async function sso(req, res, url) {
    if (!sp) return errorPage(res, 400, 'No SP is registered: POST its metadata to /sp-metadata first.');
    if (!url.searchParams.get('SAMLRequest')) return errorPage(res, 400, 'The request carries no SAMLRequest.');
    const query = Object.fromEntries(url.searchParams);
    // The octet string is what a signed redirect signs: the raw query as sent.
    const octetString = url.search.slice(1).split('&').filter((p) => /^(SAMLRequest|RelayState|SigAlg)=/.test(p)).join('&');
    let parsed;
    try {
      parsed = await idp.parseLoginRequest(sp, 'redirect', { query, octetString });
    } catch (e) {
      return errorPage(res, 400, `samlify refused the AuthnRequest: ${e && e.message ? e.message : e}`);
    }
    const ex = parsed.extract || {};
    const request = ex.request || {};
    if (!request.id) return errorPage(res, 400, 'The AuthnRequest has no ID.');
    if (ex.issuer !== sp.entityMeta.getEntityID()) {
      return errorPage(res, 400, `The AuthnRequest's issuer ${ex.issuer} is not the registered SP ${sp.entityMeta.getEntityID()} (Entra: AADSTS700016).`);
    }
    const acs = chooseACS(request.assertionConsumerServiceUrl, spACS);
    if (!acs) {
      return errorPage(res, 400, `The reply URL ${request.assertionConsumerServiceUrl} is not one the SP registered (Entra: AADSTS50011).`);
    }
    const now = new Date();
    const later = new Date(now.getTime() + 5 * 60 * 1000);
    const values = {
      ID: '_' + crypto.randomUUID(),
      AssertionID: '_' + crypto.randomUUID(),
      Destination: acs,
      Audience: sp.entityMeta.getEntityID(),
      SubjectRecipient: acs,
      Issuer: idp.entityMeta.getEntityID(),
      IssueInstant: now.toISOString(),
      StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
      ConditionsNotBefore: now.toISOString(),
      ConditionsNotOnOrAfter: later.toISOString(),
      SubjectConfirmationDataNotOnOrAfter: later.toISOString(),
      NameIDFormat: EMAIL_FORMAT,
      NameID: user.email,
      InResponseTo: request.id,
    };
    const relayState = url.searchParams.get('RelayState') ?? '';
    let out;
    try {
      out = await idp.createLoginResponse(sp, parsed, 'post', { email: user.email }, {
        customTagReplacement: loginResponseXML(values),
        relayState,
      });
    } catch (e) {
      return errorPage(res, 500, `samlify could not sign the response: ${e && e.message ? e.message : e}`);
    }
    const relayInput = relayState ? `<input type="hidden" name="RelayState" value="${escapeHTML(relayState)}">` : '';
    send(res, 200, 'text/html; charset=utf-8', `<!doctype html>
<html><head><title>Signing in</title></head>
<body onload="document.forms[0].submit()">
<form method="post" action="${escapeHTML(acs)}">
<input type="hidden" name="SAMLResponse" value="${escapeHTML(out.context)}">${relayInput}
<noscript><button type="submit">Continue</button></noscript>
</form>
</body></html>
`);
    console.error(`samlify-idp-server: signed in ${user.email} for ${request.id} → ${acs}`);
  }

  async function registerSP(req, res) {
    let xml;
    try {
      xml = await readBody(req);
    } catch (e) {
      return errorPage(res, 413, `The SP metadata could not be read: ${e.message}.`);
    }
    let candidate;
    try {
      candidate = samlify.ServiceProvider({ metadata: xml });
    } catch (e) {
      return errorPage(res, 400, `The SP metadata does not parse: ${e && e.message ? e.message : e}`);
    }
    // Without a binding, samlify gives every ACS entry (one object, or a list).
    const acs = [].concat(candidate.entityMeta.getAssertionConsumerService() || [])
      .filter((e) => e && e.binding === POST && e.location).map((e) => e.location);
    if (!candidate.entityMeta.getEntityID() || acs.length === 0) {
      return errorPage(res, 400, 'The SP metadata has no entityID or no HTTP-POST AssertionConsumerService.');
    }
    sp = candidate;
    spACS = acs;
    console.error(`samlify-idp-server: registered SP ${sp.entityMeta.getEntityID()} with ACS ${acs.join(', ')}`);
    send(res, 204, 'text/plain', '');
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, base || 'http://127.0.0.1');
    const route = `${req.method} ${url.pathname}`;
    const done = (p) => p.catch((e) => errorPage(res, 500, `internal error: ${e && e.message ? e.message : e}`));
    switch (route) {
      case 'GET /metadata':
        return send(res, 200, 'application/samlmetadata+xml', idp.getMetadata());
      case 'POST /sp-metadata':
        return done(registerSP(req, res));
      case 'GET /sso':
        return done(sso(req, res, url));
      default:
        return errorPage(res, 404, `${route} is not an endpoint of this IdP.`);
    }
  });
  server.on('error', (e) => {
    console.error(`samlify-idp-server: ${e.message}`);
    process.exit(1);
  });
  server.listen(args.port, '127.0.0.1', () => {
    base = `http://127.0.0.1:${server.address().port}`;
    idp = samlify.IdentityProvider({
      entityID: `${base}/metadata`,
      privateKey: key,
      signingCert: cert,
      requestSignatureAlgorithm: RSA_SHA256,
      wantAuthnRequestsSigned: false,
      nameIDFormat: [EMAIL_FORMAT],
      singleSignOnService: [{ Binding: REDIRECT, Location: `${base}/sso` }],
    });
    process.stdout.write(JSON.stringify({
      entity_id: `${base}/metadata`,
      metadata_url: `${base}/metadata`,
      sso_url: `${base}/sso`,
      sp_metadata_url: `${base}/sp-metadata`,
      user: user.email,
    }) + '\n');
  });

  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (args.exitWithStdin) {
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  }
}

main().catch((e) => {
  console.error('samlify-idp-server:', e && e.message ? e.message : e);
  process.exit(1);
});
