/**
 * Auth.js (`@auth/express`) signing in with the same embedded provider as authflow, for the
 * logins-per-second comparison of `bench/web.ts`. Run in a process of its own, pinned to the
 * same core as authflow's server. Configuration as JSON in BENCH_CONFIG; prints `{"url":…}`
 * on its first stdout line and exits on SIGTERM.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ExpressAuth } from '@auth/express';
import express from 'express';
import type { ServerConfig } from './web-config.js';

const config = JSON.parse(process.env.BENCH_CONFIG ?? '') as ServerConfig;
const app = express();
app.set('trust proxy', true);
app.use(
  '/auth',
  ExpressAuth({
    secret: config.secret,
    trustHost: true,
    providers: [
      {
        id: 'dev',
        name: 'dev',
        type: 'oidc',
        issuer: config.issuer,
        clientId: config.clientId,
        clientSecret: config.clientSecret,
      },
    ],
  }),
);
const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;
console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));

process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
