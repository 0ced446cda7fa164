/**
 * Runs the deploy-mode demo: `npm run example:web` (in memory), or with Redis:
 * `REDIS_URL=redis://127.0.0.1:6379 npm run example:web`. `PORT` picks the port.
 */
import { startWebExample } from './app.js';

const example = await startWebExample({
  port: Number(process.env.PORT ?? 3000),
  redis: process.env.REDIS_URL,
});
console.log(`authflow deploy-mode demo: ${example.url}`);
console.log(
  `Development provider: ${example.dev.issuer} (any user name signs in; "admin" is an admin)`,
);
console.log('Press Ctrl+C to stop.');
const stop = async () => {
  await example.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
