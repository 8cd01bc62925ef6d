// A trial service on a popular framework, not a fixture of this repository: bench/frameworks.ts
// installs its framework from the npm registry into a temporary folder and runs it there.
// express + pino: a request logger. VARIANT=leak builds a logger with its own destination for
// every request (pino.destination opens the file each time, and nothing ever closes it), so
// every request leaves an open file descriptor behind; the heap barely moves. The clean one
// builds one logger at start-up and a child logger per request, the way pino's documentation
// shows. Logs go to /dev/null.
const express = require('express');
const { mountShop } = require('./shop-routes');
const pino = require('pino');
const leak = process.env.VARIANT === 'leak';
const root = pino(pino.destination({ dest: '/dev/null', sync: true }));
let nextId = 0;
const app = express();
app.use(express.json());
app.use((req, res, next) => {
  const reqId = ++nextId;
  req.log = leak
    ? pino(pino.destination({ dest: '/dev/null', sync: true })).child({ reqId })
    : root.child({ reqId });
  res.on('finish', () => req.log.info({ status: res.statusCode, path: req.path }, 'done'));
  next();
});

mountShop(app);
app.listen(Number(process.env.PORT || 0), '127.0.0.1');
