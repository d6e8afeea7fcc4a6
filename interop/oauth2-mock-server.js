#!/usr/bin/env node
// oauth2-mock-server.js: the npm oauth2-mock-server (an independent OpenID provider, on
// jose) on 127.0.0.1, for ssowizard's embedded SP to sign in against by the
// authorization code flow. It signs RS256 ID tokens with a key made at start, for the
// given client ID (aud) with the nonce of the authorize request (the library carries it
// from the code to the token), and the claims of one fixed user.
//
//   OAUTH2_MOCK_CLIENT_SECRET=… node interop/oauth2-mock-server.js CLIENT_ID [--port N] [--exit-with-stdin]
//
// On start it prints one JSON line on stdout: {"issuer":…,"client_id":…,"user":…}.
// The secret comes only from the environment, never from the command line.
//
// The library alone takes any code, any client and no PKCE verifier at all (it checks a
// verifier only when one is sent). A real provider does not, so its hooks add what the
// SP must be shown to do: the authorize request must carry this client ID, a nonce and
// an S256 challenge; the token request must redeem a code this server issued, once,
// with the same client ID and redirect URI, the secret and a code_verifier (which the
// library then checks against the challenge).
'use strict';

const crypto = require('crypto');

const user = {
  sub: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
  email: 'alice@contoso.example', name: 'Alice Smith', given: 'Alice', family: 'Smith',
};

function usage(msg) {
  console.error(`oauth2-mock-server: ${msg}\nusage: OAUTH2_MOCK_CLIENT_SECRET=… oauth2-mock-server.js CLIENT_ID [--port N] [--exit-with-stdin]`);
  process.exit(2);
}

function parseArgs(argv) {
  const out = { clientID: '', port: 0, exitWithStdin: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 0 || n > 65535) usage(`--port wants a port number, got ${argv[i]}`);
      out.port = n;
    } else if (argv[i] === '--exit-with-stdin') {
      out.exitWithStdin = true;
    } else if (!argv[i].startsWith('-') && !out.clientID) {
      out.clientID = argv[i];
    } else {
      usage(`unknown argument ${argv[i]}`);
    }
  }
  if (!out.clientID) usage('no client ID');
  return out;
}

// equal compares secrets in constant time.
function equal(a, b) {
  const x = Buffer.from(String(a ?? ''));
  const y = Buffer.from(String(b ?? ''));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

// oauth2-mock-server 8 (and its jose) needs Node 20.19 or later; Debian 12's own nodejs
// is 18, so say so rather than fail somewhere inside the library.
function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`oauth2-mock-server: needs Node.js 20.19 or later, this is ${process.version}; install a newer nodejs (e.g. from NodeSource)`);
    process.exit(1);
  }
}

async function main() {
  checkNode();
  const args = parseArgs(process.argv.slice(2));
  const secret = process.env.OAUTH2_MOCK_CLIENT_SECRET ?? '';
  if (!secret) usage('OAUTH2_MOCK_CLIENT_SECRET is not set: the client is confidential, as the SP\'s is');
  const { OAuth2Server } = await import('oauth2-mock-server');

  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  const service = server.service;
  const codes = new Map(); // code → what the authorize request said; deleted on redemption

  service.on('beforeAuthorizeRedirect', (redirect, req) => {
    const q = req.query;
    const code = redirect.url.searchParams.get('code');
    let problem = '';
    if (q.client_id !== args.clientID) problem = `unknown client_id ${q.client_id}`;
    else if (typeof q.nonce !== 'string' || q.nonce.length < 16) problem = 'the request carries no nonce of at least 16 characters';
    else if (q.code_challenge_method !== 'S256' || !q.code_challenge) problem = 'the request carries no S256 code_challenge (PKCE)';
    else if (!String(q.scope ?? '').split(' ').includes('openid')) problem = 'the scope lacks openid';
    if (problem) {
      redirect.url.searchParams.delete('code');
      redirect.url.searchParams.set('error', 'invalid_request');
      redirect.url.searchParams.set('error_description', problem);
      console.error(`oauth2-mock-server: authorize refused: ${problem}`);
      return;
    }
    if (code) codes.set(code, { clientID: q.client_id, redirectURI: q.redirect_uri });
  });

  service.on('beforeResponse', (response, req) => {
    const b = req.body ?? {};
    if (b.grant_type !== 'authorization_code') {
      response.statusCode = 400;
      response.body = { error: 'unsupported_grant_type', error_description: 'only authorization_code is served here' };
      return;
    }
    const issued = codes.get(b.code);
    codes.delete(b.code);
    let err = null;
    if (!issued) err = ['invalid_grant', 'the code was not issued here or was already redeemed'];
    else if (b.client_id !== issued.clientID || !equal(b.client_secret, secret)) err = ['invalid_client', 'client authentication failed'];
    else if (b.redirect_uri !== issued.redirectURI) err = ['invalid_grant', 'the redirect_uri is not the one the code was issued for'];
    else if (!b.code_verifier) err = ['invalid_grant', 'the code_verifier (PKCE) is missing'];
    if (err) {
      response.statusCode = 400;
      response.body = { error: err[0], error_description: err[1] };
      console.error(`oauth2-mock-server: token refused: ${err[1]}`);
    }
  });

  service.on('beforeTokenSigning', (token, req) => {
    const p = token.payload;
    p.sub = user.sub;
    // The library builds the ID token with aud = the client ID and the nonce; the access
    // token it builds first has neither.
    if (p.aud === args.clientID) {
      Object.assign(p, {
        email: user.email, name: user.name, given_name: user.given, family_name: user.family,
        preferred_username: user.email, auth_time: p.iat,
      });
    } else {
      p.aud = server.issuer.url;
    }
  });

  service.on('beforeUserinfo', (response) => {
    response.body = { sub: user.sub, email: user.email, name: user.name };
  });

  await server.start(args.port, '127.0.0.1');
  // The library names the issuer http://localhost:PORT; the listener is 127.0.0.1 only,
  // and the SP must not depend on how localhost resolves.
  server.issuer.url = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(JSON.stringify({ issuer: server.issuer.url, client_id: args.clientID, user: user.email }) + '\n');

  const stop = () => server.stop().then(() => process.exit(0), () => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (args.exitWithStdin) {
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  }
}

main().catch((e) => {
  console.error('oauth2-mock-server:', e && e.message ? e.message : e);
  process.exit(1);
});
