// The account service process: the mesh runtime gives it mTLS, identity, authorization, health,
// metrics, migrations and a drain; the account service adds its ledger client (as
// service/account) and the open-account recovery, which stop once the drain has let in-flight
// calls finish. Start-up fails if the stored signing keys do not open with the configured secret.
import { createLedgerClient, meshClientCredentials } from '../../../clients/internal/src/index.js';
import { runGrpcService } from '../../mesh/src/grpc-service-main.js';
import { migrations } from '../migrations/index.js';
import { createAccountService } from './account-service.js';
import { readAccountConfig } from './config.js';
import { signingKeySecretDefault } from './signing-key-seal.js';

runGrpcService({
  name: 'account',
  schema: 'account',
  migrations,
  services: async ({ config: processConfig, db, logger, registry, onStop }) => {
    const config = readAccountConfig(process.env, processConfig);
    const credentials = meshClientCredentials(
      {
        certsDirectory: config.certsDirectory,
        identity: 'account',
        trustDomain: config.trustDomain,
      },
      'service/ledger',
    );
    const ledger = createLedgerClient({
      address: config.ledgerAddress,
      credentials: credentials.credentials,
      registry,
    });
    if (config.signingKeySecrets.current === signingKeySecretDefault) {
      logger.warn(
        'ACCOUNT_SIGNING_KEY_SECRET is not set: signing keys are sealed under the development secret',
      );
    }
    const account = createAccountService({ db, logger, ledger, config });
    await account.start();
    onStop(async () => {
      await account.stop();
      ledger.close();
      credentials.close();
    });
    return [account.registration];
  },
});
