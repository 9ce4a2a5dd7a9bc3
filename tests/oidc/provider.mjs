// A real OpenID Provider for the tests: panva's certified oidc-provider
// (https://github.com/panva/node-oidc-provider), in memory, on a free loopback port.
//
//   node tests/oidc/provider.mjs CONFIG.json
//
// CONFIG.json: {"clients": [oidc-provider client metadata...],
//               "accounts": {"<login>": {claims...}},
//               "short_lived_clients": ["<client_id>", ...],
//               "claims_in_id_token": true}
// The login page is the package's own development login (any password); the
// login name picks the account. Once listening it prints one JSON line,
// {"issuer": "http://127.0.0.1:PORT"}, and it stops on SIGTERM or when its
// standard input closes (so it never outlives the test run).
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// By login name, which is also the person's subject identifier (``sub``).
const accounts = config.accounts || {};
const shortLived = new Set(config.short_lived_clients || []);

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ format: 'jwk' });

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: { keys: [{ ...signingKey, kid: 'test-signing-key', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: ['oidc-test-cookie-key'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    // true (the default here): the scopes' claims go in the ID token itself, as
    // Entra ID does; false: only through the UserInfo endpoint, as NHS CIS2 does.
    conformIdTokenClaims: config.claims_in_id_token === false,
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true },
    ttl: {
      // A client listed as short-lived gets ID tokens that expire in a second,
      // so a test can see an expired token refused.
      IdToken: (ctx, token, client) => (shortLived.has(client.clientId) ? 1 : 3600),
    },
    async findAccount(ctx, id) {
      const claims = accounts[id] || {};
      return {
        accountId: id,
        async claims() {
          return { ...claims, sub: id };
        },
      };
    },
  });
  provider.on('server_error', (ctx, error) => {
    process.stderr.write(`oidc-provider server_error: ${error.stack}\n`);
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
