// A trial service on a popular framework, not a fixture of this repository: bench/frameworks.ts
// installs its framework from the npm registry into a temporary folder and runs it there.
// Koa service: per-user activity counters, cleared every 5 s (a rate-limit window: sawtooth, must pass).
// VARIANT=leak also keeps every user's visit history forever.
const Koa = require('koa');
const leak = process.env.VARIANT === 'leak';
const app = new Koa();
let window = new Map();
const history = new Map();
setInterval(() => {
  window = new Map();
}, 5000).unref();
app.use(async (ctx) => {
  const user = (ctx.get('authorization') || 'anon').slice(7) || 'anon';
  window.set(user, (window.get(user) || 0) + 1);
  if (leak) {
    let h = history.get(user);
    if (!h) history.set(user, (h = []));
    h.push(ctx.path.length);
  }
  ctx.body = { user, hits: window.get(user) };
});
app.listen(Number(process.env.PORT || 0), '127.0.0.1');
