// Writes Verdaccio's own default config (the default.yaml shipped in @verdaccio/config, the file
// `npx verdaccio` writes to ~/.config/verdaccio/config.yaml on first run) with only these changes:
//   storage and htpasswd file under the given state folder, listen on 127.0.0.1:PORT, and the
//   npmjs uplink (and the audit middleware, which forwards to it) removed, so that nothing a
//   scanner requests (GET /login is a package lookup) is ever forwarded to the public registry.
// usage: node make-config.js STATE_DIR PORT > config.yaml
'use strict';
const fs = require('fs');
const path = require('path');
const [stateDir, port] = process.argv.slice(2);
if (!stateDir || !/^\d+$/.test(port || '')) {
  console.error('usage: node make-config.js STATE_DIR PORT');
  process.exit(2);
}
const src = path.join(__dirname, 'node_modules/@verdaccio/config/build/conf/default.yaml');
let t = fs.readFileSync(src, 'utf8');
function replace(from, to) {
  if (!t.includes(from)) {
    console.error(`make-config: default.yaml no longer contains ${JSON.stringify(from)}`);
    process.exit(1);
  }
  t = t.split(from).join(to);
}
replace('storage: ./storage\n', `storage: ${stateDir}/storage\n`);
replace('    file: ./htpasswd\n', `    file: ${stateDir}/htpasswd\n`);
replace('uplinks:\n  npmjs:\n    url: https://registry.npmjs.org/\n', 'uplinks: {}\n');
replace('    proxy: npmjs\n', '');
replace('middlewares:\n  audit:\n    enabled: true\n', 'middlewares: {}\n');
t += `\nlisten: 127.0.0.1:${port}\n`;
process.stdout.write(t);
