// A plain poller for bench/peers.sh: GETs every session once per period over one undici Agent
// (keep-alive connections, TLS verified against the given CA), full GETs (no If-None-Match), each
// body read to the end and parsed. WORKERS async loops share the sessions; each paces its share
// evenly over the period and goes on at once when it falls behind.
// Usage: node node-poller.mjs BASE_URL CA_FILE IDS_FILE [CONNECTIONS] [PERIOD_MS] [WORKERS]
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';

const [base, caFile, idsFile, conns = '16', periodArg = '1000', workersArg = '64'] =
  process.argv.slice(2);
if (!idsFile) {
  console.error('usage: node node-poller.mjs BASE_URL CA_FILE IDS_FILE [CONNECTIONS] [PERIOD_MS] [WORKERS]');
  process.exit(2);
}
const ids = readFileSync(idsFile, 'utf8').split('\n').filter(Boolean);
const period = Number(periodArg);
const workers = Math.max(1, Math.min(Number(workersArg), ids.length));
const agent = new Agent({ connections: Number(conns), connect: { ca: readFileSync(caFile) } });
const headers = { 'x-fj-api-key': process.env.FJ_API_KEY ?? '' };

let ok = 0, failed = 0, stopping = false;
async function poll(id) {
  try {
    const { statusCode, body } = await request(`${base}/api/v1/wl/sourcing-session/${id}`,
      { dispatcher: agent, headers });
    const json = await body.json();
    if (statusCode === 200 && json.data?.session?._id === id) ok++;
    else failed++;
  } catch (err) {
    if (failed++ < 5) console.error(`poll ${id}: ${err.message}`);
  }
}

async function worker(w) {
  const mine = ids.filter((_, i) => i % workers === w);
  const gap = period / mine.length;
  let start = performance.now() + (w * gap) / workers;  // the workers' polls interleave
  while (!stopping) {
    for (let k = 0; k < mine.length && !stopping; k++) {
      const wait = start + k * gap - performance.now();
      if (wait > 1) await sleep(wait);
      await poll(mine[k]);
    }
    start = Math.max(start + period, performance.now());  // a late round starts at once, no burst
  }
}

process.on('SIGTERM', () => { stopping = true; });
process.on('SIGINT', () => { stopping = true; });
await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
await agent.close();
console.error(`node-poller: ${ok} ok, ${failed} failed`);
