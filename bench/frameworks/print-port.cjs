// For the reference sampler only: prints the port the service listens on.
const http = require('http');
const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (...args) {
  this.once('listening', () => console.log(`listening on ${this.address().port}`));
  return listen.apply(this, args);
};
