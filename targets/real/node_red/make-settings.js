// Writes Node-RED's own default settings file (node_modules/node-red/settings.js, the file Node-RED
// copies to ~/.node-red/settings.js on first run) with the changes the Node-RED docs make:
//   - "Securing Node-RED" (https://nodered.org/docs/user-guide/runtime/securing-node-red):
//     the commented adminAuth block uncommented, user "admin", the password hash from
//     `node-red admin hash-pw` (read from HASH_FILE);
//   - the commented `uiHost: "127.0.0.1"` line uncommented (listen on loopback only).
// usage: node make-settings.js HASH_FILE > settings.js
'use strict';
const fs = require('fs');
const path = require('path');
const hashFile = process.argv[2];
if (!hashFile) {
  console.error('usage: node make-settings.js HASH_FILE');
  process.exit(2);
}
const hash = fs.readFileSync(hashFile, 'utf8').trim();
if (!/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) {
  console.error('make-settings: not a bcrypt hash in ' + hashFile);
  process.exit(1);
}
let t = fs.readFileSync(path.join(__dirname, 'node_modules/node-red/settings.js'), 'utf8');
function replace(from, to) {
  if (!t.includes(from)) {
    console.error(`make-settings: settings.js no longer contains ${JSON.stringify(from)}`);
    process.exit(1);
  }
  t = t.split(from).join(to);
}
replace(
  '    //adminAuth: {\n' +
  '    //    type: "credentials",\n' +
  '    //    users: [{\n' +
  '    //        username: "admin",\n' +
  '    //        password: "$2a$08$zZWtXTja0fB1pzD4sHCMyOCMYz2Z6dNbM6tl8sJogENOMcxWV9DN.",\n' +
  '    //        permissions: "*"\n' +
  '    //    }]\n' +
  '    //},\n',
  '    adminAuth: {\n' +
  '        type: "credentials",\n' +
  '        users: [{\n' +
  '            username: "admin",\n' +
  `            password: "${hash}",\n` +
  '            permissions: "*"\n' +
  '        }]\n' +
  '    },\n');
replace('    //uiHost: "127.0.0.1",\n', '    uiHost: "127.0.0.1",\n');
process.stdout.write(t);
