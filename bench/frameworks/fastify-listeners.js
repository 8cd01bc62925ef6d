// A trial service on a popular framework, not a fixture of this repository: bench/frameworks.ts
// installs its framework from the npm registry into a temporary folder and runs it there.
// fastify service: each request subscribes to a shared config emitter. VARIANT=leak never
// unsubscribes; clean removes the listener in onResponse.
const fastify = require('fastify')({ logger: false });
const { EventEmitter } = require('node:events');
const leak = process.env.VARIANT === 'leak';
const bus = new EventEmitter();
bus.setMaxListeners(0);
fastify.addHook('onRequest', async (request) => {
  const onChange = () => {
    request.stale = true;
  };
  request.onChange = onChange;
  bus.on('config', onChange);
});
fastify.addHook('onResponse', async (request) => {
  if (!leak) bus.off('config', request.onChange);
});
fastify.get('/*', async (request) => ({ url: request.url }));
fastify.post('/*', async (request, reply) => {
  reply.code(201);
  return { ok: true };
});
fastify.listen({ port: Number(process.env.PORT || 0), host: '127.0.0.1' });
