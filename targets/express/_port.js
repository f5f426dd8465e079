// Shared start-up code for the Express targets: `node targets/express/NAME.js --port PORT`
// (see targets/run-target) listens on 127.0.0.1:PORT only.
'use strict';

function portFromArgs(fallback = 3000) {
  const i = process.argv.indexOf('--port');
  const port = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(port) || port <= 0 || port >= 65536) {
    console.error(`bad --port ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return port;
}

function listen(app, name, port = portFromArgs()) {
  const server = app.listen(port, '127.0.0.1', () => {
    console.error(`${name}: listening on http://127.0.0.1:${port}/ (NODE_ENV=${process.env.NODE_ENV || 'unset'})`);
  });
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 500).unref());
  return server;
}

module.exports = { portFromArgs, listen };
