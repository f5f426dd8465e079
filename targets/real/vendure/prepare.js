// start's database step, run on the fresh copy of the template (node prepare.js DBFILE): gives
// the superadmin a new random password and, in owned mode, turns setup's placeholder customer
// into KEYHOLE_LAB_USER with KEYHOLE_LAB_PASSWORD. Passwords are stored the way Vendure stores
// them (BcryptPasswordHashingStrategy: bcrypt, 12 rounds, in authentication_method.passwordHash;
// Vendure's ensureSuperAdminExists never updates an existing superadmin's password, so the
// superadminCredentials in the config cannot do it). Reads the environment:
// SUPERADMIN_USERNAME, SUPERADMIN_PASSWORD, and optionally LAB_OWNED_EMAIL, LAB_OWNED_PASSWORD.
const fs = require('fs');
const bcrypt = require('bcrypt');
const initSqlJs = require('sql.js');

async function main() {
    const file = process.argv[2];
    const SQL = await initSqlJs();
    const db = new SQL.Database(fs.readFileSync(file));
    const one = (sql, params) => {
        const st = db.prepare(sql);
        st.bind(params || []);
        const row = st.step() ? st.get() : null;
        st.free();
        return row;
    };
    const admin = process.env.SUPERADMIN_USERNAME;
    const row = one('select id from user where identifier = ?', [admin]);
    if (!row) throw new Error(`no user ${admin} in the template`);
    db.run(`update authentication_method set passwordHash = ? where userId = ? and type = 'NativeAuthenticationMethod'`,
        [await bcrypt.hash(process.env.SUPERADMIN_PASSWORD, 12), row[0]]);
    const email = process.env.LAB_OWNED_EMAIL;
    if (email) {
        const p = one(`select id from user where identifier = 'lab-owned-placeholder@example.invalid'`);
        if (!p) throw new Error('no placeholder customer in the template');
        const hash = await bcrypt.hash(process.env.LAB_OWNED_PASSWORD, 12);
        db.run('update user set identifier = ? where id = ?', [email, p[0]]);
        db.run(`update authentication_method set identifier = ?, passwordHash = ? where userId = ? and type = 'NativeAuthenticationMethod'`,
            [email, hash, p[0]]);
        db.run('update customer set emailAddress = ? where userId = ?', [email, p[0]]);
    }
    fs.writeFileSync(file, Buffer.from(db.export()));
    db.close();
}
main().catch(err => { console.error(`vendure prepare: ${err.message}`); process.exit(1); });
