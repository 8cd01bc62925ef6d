// A trial service on a popular framework, not a fixture of this repository: bench/frameworks.ts
// installs its framework from the npm registry into a temporary folder and runs it there.
// express: a middleware that logs a request cut short by the client. VARIANT=leak listens for
// 'close' on the request's socket, which a keep-alive connection reuses for request after
// request, so every request leaves one listener (and the request its closure holds) on the
// socket for as long as the connection lives (Node prints MaxListenersExceededWarning once).
// The clean one listens on the response, which lives for one request.
const express = require('express');
const { mountShop } = require('./shop-routes');
const leak = process.env.VARIANT === 'leak';
const app = express();
app.use(express.json());
let aborted = 0;
app.use((req, res, next) => {
  const started = Date.now();
  const target = leak ? req.socket : res;
  target.on('close', () => {
    if (!res.writableFinished) aborted += Date.now() - started > 0 ? 1 : 0;
  });
  next();
});

mountShop(app, {
  'GET /health': (req, res) => {
    res.json({ ok: true, aborted });
  },
});
app.listen(Number(process.env.PORT || 0), '127.0.0.1');
