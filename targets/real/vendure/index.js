// The server entry point: the scaffold's src/index.ts (node_modules/@vendure/create/assets/
// index.hbs: runMigrations(config).then(() => bootstrap(config))) in plain CommonJS, plus the
// job queue started in this same process, as Vendure's "Worker & Job Queue" guide documents for
// running without a separate worker (`app.get(JobQueueService).start()`): SQL.js keeps its
// database in one process's memory, so a second worker process could not share it. The job
// queue is what hands e-mails (verification, password reset) to the EmailPlugin, which in
// devMode writes them as files and sends nothing.
const { bootstrap, runMigrations, JobQueueService } = require('@vendure/core');
const { config } = require('./vendure-config');

runMigrations(config)
    .then(() => bootstrap(config))
    .then(app => app.get(JobQueueService).start())
    .catch(err => {
        console.log(err);
        process.exit(1);
    });
