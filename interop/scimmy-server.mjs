#!/usr/bin/env node
// scimmy-server.mjs: an independent SCIM 2.0 service provider (npm scimmy, served by
// scimmy-routers on express) on 127.0.0.1, keeping users and groups in memory, for
// ssowizard's Entra SCIM client and `ssowizard scim` to provision against.
//
//   SCIMMY_TOKEN=… node interop/scimmy-server.mjs [--exit-with-stdin]
//
// On start it prints one JSON line on stdout: {"base_url":"http://127.0.0.1:PORT/scim"}.
// Every request must carry "Authorization: Bearer $SCIMMY_TOKEN"; the token comes only
// from the environment. The handlers below only store and return what SCIMMY hands
// them: parsing, filters, PATCH and validation are all SCIMMY's own, which is the point.
import crypto from 'node:crypto';
import express from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';

const token = process.env.SCIMMY_TOKEN || '';
if (token === '') {
  console.error('scimmy-server: set SCIMMY_TOKEN to the bearer token clients must send');
  process.exit(2);
}
const exitWithStdin = process.argv.includes('--exit-with-stdin');

// store keeps one Map per resource type, id -> the object SCIMMY validated.
function store(kind) {
  const items = new Map();
  return {
    egress(resource) {
      if (resource.id) {
        const item = items.get(resource.id);
        if (!item) throw new SCIMMY.Types.Error(404, null, `${kind} ${resource.id} not found`);
        return item;
      }
      const all = [...items.values()];
      return resource.filter ? resource.filter.match(all) : all;
    },
    ingress(resource, instance) {
      const now = new Date().toISOString();
      if (resource.id) {
        const old = items.get(resource.id);
        if (!old) throw new SCIMMY.Types.Error(404, null, `${kind} ${resource.id} not found`);
        const next = { ...JSON.parse(JSON.stringify(instance)), id: resource.id,
          meta: { ...old.meta, lastModified: now } };
        items.set(resource.id, next);
        return next;
      }
      if (kind === 'Group') {
        for (const g of items.values()) {
          if (g.displayName === instance.displayName) {
            throw new SCIMMY.Types.Error(409, 'uniqueness', `a group named ${instance.displayName} exists`);
          }
        }
      } else {
        for (const u of items.values()) {
          if (String(u.userName).toLowerCase() === String(instance.userName).toLowerCase()) {
            throw new SCIMMY.Types.Error(409, 'uniqueness', `a user named ${instance.userName} exists`);
          }
        }
      }
      const id = crypto.randomUUID();
      const item = { ...JSON.parse(JSON.stringify(instance)), id,
        meta: { created: now, lastModified: now } };
      items.set(id, item);
      return item;
    },
    degress(resource) {
      if (!items.delete(resource.id)) throw new SCIMMY.Types.Error(404, null, `${kind} ${resource.id} not found`);
    },
  };
}

// Entra's default mappings write the enterprise extension (department, employeeNumber).
SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false);
for (const [kind, type] of [['User', SCIMMY.Resources.User], ['Group', SCIMMY.Resources.Group]]) {
  const s = store(kind);
  SCIMMY.Resources.declare(type)
    .egress((resource) => s.egress(resource))
    .ingress((resource, instance) => s.ingress(resource, instance))
    .degress((resource) => s.degress(resource));
}

const app = express();
app.use('/scim', new SCIMMYRouters({
  type: 'bearer',
  docUri: 'https://scimmyjs.github.io',
  handler: (request) => {
    const got = request.header('Authorization') || '';
    const want = `Bearer ${token}`;
    if (got.length !== want.length || !crypto.timingSafeEqual(Buffer.from(got), Buffer.from(want))) {
      throw new Error('Authorization failed');
    }
    return 'ssowizard';
  },
}));

const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(JSON.stringify({ base_url: `http://127.0.0.1:${port}/scim` }) + '\n');
});
if (exitWithStdin) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
