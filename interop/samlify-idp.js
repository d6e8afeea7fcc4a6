#!/usr/bin/env node
// samlify-idp.js: an independent SAML implementation (samlify, on xml-crypto) acting as
// the IdP. It signs a login Response for a test SP (assertion signed, RSA-SHA256, with
// the committed test key), shaped like Entra's (issuer, claim names), and writes it as an
// inspector fixture case: <dir>/input (base64, as POSTed) and <dir>/params.json.
//
//   node interop/samlify-idp.js DIR
//
// Run from the repository root or anywhere: paths are resolved from this file.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const samlify = require('samlify');

const repo = path.resolve(__dirname, '..');
const keys = path.join(repo, 'inspect', 'testdata', 'keys');
const tenant = '4f6c2d1e-8a3b-4c5d-9e7f-0a1b2c3d4e5f';
const spEntity = 'https://vendor.example/saml';
const acs = 'https://vendor.example/saml/acs';
const requestID = '_8e9f3c2a-5b1d-4e6f-a7b8-c9d0e1f2a3b4';
const user = {
  email: 'alice@contoso.com', oid: '0f4e5a38-6d2b-4a8e-9e1c-3c1d2b0a9f11',
  given: 'Alice', surname: 'Smith', display: 'Alice Smith',
};

async function main() {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: samlify-idp.js DIR (the case directory to write)');
    process.exit(2);
  }
  // Only the parsing side needs schema validation; this script only builds.
  samlify.setSchemaValidator({ validate: () => Promise.resolve('skipped') });

  const cert = fs.readFileSync(path.join(keys, 'idp-signing.pem'), 'utf8');
  const key = fs.readFileSync(path.join(keys, 'idp-signing-key.pem'), 'utf8');
  const login = `https://login.microsoftonline.com/${tenant}/saml2`;
  const idp = samlify.IdentityProvider({
    entityID: `https://sts.windows.net/${tenant}/`,
    privateKey: key,
    signingCert: cert,
    requestSignatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
    singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', Location: login }],
    singleLogoutService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: login }],
  });
  const sp = samlify.ServiceProvider({
    entityID: spEntity,
    wantAssertionsSigned: true,
    wantMessageSigned: false,
    assertionConsumerService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', Location: acs }],
  });

  const now = new Date();
  const iso = (d) => d.toISOString();
  const later = new Date(now.getTime() + 5 * 60 * 1000);
  const id = '_' + crypto.randomUUID();
  const attrs = [
    ['http://schemas.microsoft.com/identity/claims/tenantid', tenant],
    ['http://schemas.microsoft.com/identity/claims/objectidentifier', user.oid],
    ['http://schemas.microsoft.com/identity/claims/displayname', user.display],
    ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname', user.given],
    ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname', user.surname],
    ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', user.email],
    ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', user.email],
  ].map(([n, v]) => `<saml:Attribute Name="${n}"><saml:AttributeValue>${v}</saml:AttributeValue></saml:Attribute>`).join('');
  const values = {
    ID: id,
    AssertionID: '_' + crypto.randomUUID(),
    Destination: acs,
    Audience: spEntity,
    SubjectRecipient: acs,
    Issuer: `https://sts.windows.net/${tenant}/`,
    IssueInstant: iso(now),
    StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
    ConditionsNotBefore: iso(now),
    ConditionsNotOnOrAfter: iso(later),
    SubjectConfirmationDataNotOnOrAfter: iso(later),
    NameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    NameID: user.email,
    InResponseTo: requestID,
  };
  // replaceTagsByValue escapes what it substitutes, so the statements (markup) go in
  // first, by plain replacement.
  const statements = {
    AuthnStatement: `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${id}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`,
    AttributeStatement: `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>`,
  };
  const res = await idp.createLoginResponse(sp, { extract: { request: { id: requestID } } }, 'post', { email: user.email }, {
    customTagReplacement: (template) => {
      let xml = template;
      for (const [tag, markup] of Object.entries(statements)) xml = xml.replace(`{${tag}}`, markup);
      return { id, context: samlify.SamlLib.replaceTagsByValue(xml, values) };
    },
  });

  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'input'), res.context + '\n');
  // A case directory under testdata/cases reaches the keys at ../../keys; elsewhere
  // (a temporary directory for `make interop`) it gets an absolute path.
  const rel = path.relative(path.resolve(out), keys);
  const certPath = rel.startsWith('..' + path.sep + '..' + path.sep + 'keys') || rel === path.join('..', '..', 'keys')
    ? path.join(rel, 'idp-signing.pem').split(path.sep).join('/')
    : path.join(keys, 'idp-signing.pem');
  const params = {
    options: {
      cert: certPath, sp_entity_id: spEntity, acs, tenant, request_id: requestID,
      now: new Date(now.getTime() + 60 * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
    expect: {
      kind: 'saml-response', verdict: 'ok', signature_status: 'valid', signed: ['assertion'],
      absent_findings: ['signature-invalid', 'signature-wrapped', 'cert-untrusted', 'expired', 'not-yet-valid',
        'audience-mismatch', 'recipient-mismatch', 'in-response-to-mismatch', 'status-error'],
      claims: { emailaddress: user.email, objectidentifier: user.oid, tenantid: tenant, name: user.email },
      name_id: user.email,
    },
  };
  fs.writeFileSync(path.join(out, 'params.json'), JSON.stringify(params, null, 2) + '\n');
  console.log(`samlify-idp: wrote ${out}`);
}

main().catch((e) => {
  console.error('samlify-idp:', e && e.message ? e.message : e);
  process.exit(1);
});
