// Vendure server configuration for keyhole's lab: the config that `npx @vendure/create`
// (3.7.3, "Manual Configuration", database "SQL.js") scaffolds as src/vendure-config.ts
// (node_modules/@vendure/create/assets/vendure-config.hbs), written as plain CommonJS so that
// no TypeScript build is needed, with the environment in place of the scaffold's .env file.
// APP_ENV is not "dev" (the scaffold's .env sets APP_ENV=dev for local development, which adds
// adminApiDebug/shopApiDebug; a deployment leaves it unset), so the API debug flags stay off.
// Left out of the scaffold's plugin list, and only those:
// - AssetServerPlugin (@vendure/asset-server-plugin): needs `sharp`, a native image library whose
//   prebuilt binaries are not plain JavaScript;
// - DashboardPlugin (@vendure/dashboard): the admin UI, a Vite build of a React app (heavy).
// Everything in authOptions other than the superadmin credentials and cookie secret is at its
// default: NativeAuthenticationStrategy for both APIs, requireVerification true, tokenMethod as
// scaffolded (bearer and cookie).
const path = require('path');
const {
    dummyPaymentHandler,
    DefaultJobQueuePlugin,
    DefaultSchedulerPlugin,
    DefaultSearchPlugin,
} = require('@vendure/core');
const { defaultEmailHandlers, EmailPlugin, FileBasedTemplateLoader } = require('@vendure/email-plugin');
const { GraphiqlPlugin } = require('@vendure/graphiql-plugin');

const IS_DEV = process.env.APP_ENV === 'dev';
const serverPort = +process.env.PORT || +process.env.VENDURE_SERVER_PORT || 3000;
const dataDir = process.env.VENDURE_DATA_DIR || path.join(__dirname, '.state', 'data');

exports.config = {
    apiOptions: {
        hostname: process.env.VENDURE_HOSTNAME || '127.0.0.1',
        port: serverPort,
        adminApiPath: 'admin-api',
        shopApiPath: 'shop-api',
        trustProxy: IS_DEV ? false : 1,
        cors: {
            origin: IS_DEV
                ? true
                : (process.env.CORS_ORIGINS || '').split(',').map(o => o.trim()).filter(Boolean),
            credentials: true,
        },
        ...(IS_DEV ? { adminApiDebug: true, shopApiDebug: true } : {}),
    },
    authOptions: {
        tokenMethod: ['bearer', 'cookie'],
        superadminCredentials: {
            identifier: process.env.SUPERADMIN_USERNAME,
            password: process.env.SUPERADMIN_PASSWORD,
        },
        cookieOptions: {
            secret: process.env.COOKIE_SECRET,
        },
    },
    dbConnectionOptions: {
        type: 'sqljs',
        synchronize: false,
        migrations: [path.join(__dirname, 'migrations/*.+(js|ts)')],
        logging: false,
        database: new Uint8Array([]),
        location: path.join(dataDir, 'vendure.sqlite'),
        autoSave: true,
    },
    paymentOptions: {
        paymentMethodHandlers: [dummyPaymentHandler],
    },
    customFields: {},
    plugins: [
        GraphiqlPlugin.init(),
        DefaultSchedulerPlugin.init(),
        DefaultJobQueuePlugin.init({ useDatabaseForBuffer: true }),
        DefaultSearchPlugin.init({ bufferUpdates: false, indexStockStatus: true }),
        EmailPlugin.init({
            devMode: true,
            outputPath: path.join(dataDir, 'test-emails'),
            route: 'mailbox',
            handlers: defaultEmailHandlers,
            templateLoader: new FileBasedTemplateLoader(path.join(__dirname, 'node_modules/@vendure/email-plugin/templates')),
            globalTemplateVars: {
                fromAddress: '"example" <noreply@example.com>',
                verifyEmailAddressUrl: 'http://localhost:8080/verify',
                passwordResetUrl: 'http://localhost:8080/password-reset',
                changeEmailAddressUrl: 'http://localhost:8080/verify-email-address-change',
            },
        }),
    ],
};
