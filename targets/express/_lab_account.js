// The tester's own account in the lab's owned mode (shared by the Express targets).
//
// lab/run scans a target with a [target.owned] table a second time with
// `--username U --password-env KEYHOLE_LAB_PASSWORD`, and starts it with
// KEYHOLE_LAB_USER=U and KEYHOLE_LAB_PASSWORD=P in its environment; the target then
// creates that account with that password. labAccount() returns
// {username, email, password} (when U is an e-mail address it is both, otherwise the
// e-mail address is U@example.com), or null when the variables are not set.
'use strict';

function labAccount() {
  const username = (process.env.KEYHOLE_LAB_USER || '').trim();
  const password = process.env.KEYHOLE_LAB_PASSWORD || '';
  if (!username || !password) return null;
  const email = (username.includes('@') ? username : `${username}@example.com`).toLowerCase();
  return { username, email, password };
}

module.exports = { labAccount };
