// setup's database step, what `npx @vendure/create` does after scaffolding
// (node_modules/@vendure/create/lib/create-vendure-app.js): bootstrap once with
// `synchronize: true` to create the schema and the superadmin, then `populate()` from
// @vendure/core/cli with the scaffold's assets/initial-data.json (countries, zones, tax rates,
// shipping methods; no sample products, as when "populate with sample data" is declined).
// Then one verified customer is added through Vendure's own CustomerService.create (what the
// admin API's createCustomer(input, password) calls): `start` turns it into the owned-mode
// account KEYHOLE_LAB_USER (or leaves it with this random, discarded password).
const path = require('path');
const crypto = require('crypto');
const core = require('@vendure/core');
const { populate } = require('@vendure/core/cli/populate');
const { config } = require('./vendure-config');

const initialData = path.join(path.dirname(require.resolve('@vendure/create/package.json')), 'assets', 'initial-data.json');

async function main() {
    const bootstrapFn = async () => {
        const app = await core.bootstrap({
            ...config,
            apiOptions: { ...config.apiOptions, port: +process.env.PORT },
            dbConnectionOptions: { ...config.dbConnectionOptions, synchronize: true },
            logger: new core.DefaultLogger({ level: core.LogLevel.Warn }),
        });
        await app.get(core.JobQueueService).start();
        return app;
    };
    const app = await populate(bootstrapFn, initialData);
    const ctx = await app.get(core.RequestContextService).create({ apiType: 'admin' });
    const customer = await app.get(core.CustomerService).create(
        ctx,
        { emailAddress: 'lab-owned-placeholder@example.invalid', firstName: 'Lab', lastName: 'Owner' },
        crypto.randomBytes(24).toString('hex'),
    );
    if (!customer || !customer.id) throw new Error('could not create the placeholder customer: ' + JSON.stringify(customer));
    await new Promise(r => setTimeout(r, 3000));
    await app.close();
}
main().then(() => process.exit(0), err => { console.error(err); process.exit(1); });
