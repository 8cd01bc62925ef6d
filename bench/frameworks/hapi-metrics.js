// A trial service on a popular framework, not a fixture of this repository: bench/frameworks.ts
// installs its framework from the npm registry into a temporary folder and runs it there.
// hapi service: response-time metrics. VARIANT=leak pushes every duration into an array that is
// never trimmed; clean keeps a 1024-slot ring.
const Hapi = require('@hapi/hapi');
const leak = process.env.VARIANT === 'leak';
const all = [];
const ring = new Float64Array(1024);
let n = 0;
async function main() {
  const server = Hapi.server({ port: Number(process.env.PORT || 0), host: '127.0.0.1' });
  server.ext('onRequest', (request, h) => {
    request.app.t0 = process.hrtime.bigint();
    return h.continue;
  });
  server.events.on('response', (request) => {
    const ms = Number(process.hrtime.bigint() - request.app.t0) / 1e6;
    if (leak) all.push(ms);
    else ring[n++ % ring.length] = ms;
  });
  server.route({ method: 'GET', path: '/{any*}', handler: (request) => ({ path: request.path, n }) });
  server.route({
    method: 'POST',
    path: '/{any*}',
    handler: (request, h) => h.response({ ok: true }).code(201),
  });
  await server.start();
}
main();
