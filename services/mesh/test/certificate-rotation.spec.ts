// Certificates are reloaded from disk without a restart: after the files are rotated, new
// connections are served with the new certificate, while the server keeps running.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { serviceCertificateOptions } from '../src/dev-pki.js';
import {
  certificateFiles,
  certificatesLoaded,
  reloadingServerCredentials,
  watchCertificates,
  type CertificateWatcher,
} from '../src/tls.js';
import { rawEcho } from '../../../test/harness/test-clients.js';
import { testRun } from '../../../test/harness/test-run.js';
import { startTestServer, type TestServer } from '../../../test/harness/test-server.js';

describe('certificate rotation', () => {
  let directory: string;
  let watcher: CertificateWatcher;
  let server: TestServer;

  before(async () => {
    const { pki } = testRun();
    directory = await mkdtemp(join(tmpdir(), 'clearmesh-rotation-'));
    for (const file of ['ca.crt', 'ledger.crt', 'ledger.key']) {
      await copyFile(join(pki.directory, file), join(directory, file));
    }
    const files = certificateFiles(directory, 'ledger');
    watcher = watchCertificates(files, 100);
    server = await startTestServer({ credentials: reloadingServerCredentials(watcher) });
    await certificatesLoaded(watcher, files);
  });

  after(async () => {
    await server.shutdown(0);
    watcher.close();
    await rm(directory, { recursive: true, force: true });
  });

  /** The serial number the server presents to a new connection. */
  async function presentedSerial(): Promise<string> {
    const { pki } = testRun();
    let serial = '';
    const identity = pki.identity('admin');
    const credentials = grpc.credentials.createSsl(
      identity.caPem,
      identity.keyPem,
      identity.certPem,
      {
        checkServerIdentity: (_host: string, certificate: PeerCertificate) => {
          serial = certificate.serialNumber;
          return undefined;
        },
      },
    );
    await rawEcho(server.address, credentials, { text: 'who are you' });
    return serial;
  }

  it('serves new connections with the rotated certificate, without a restart', async () => {
    const { pki } = testRun();
    const before = await presentedSerial();
    expect(before).to.equal(new X509Certificate(pki.identity('ledger').certPem).serialNumber);

    const rotated = await pki.issue(serviceCertificateOptions('ledger', pki.trustDomain));
    const reloaded = new Promise<void>((resolve) => {
      watcher.addIdentityCertificateListener((update) => {
        if (update?.certificate.equals(rotated.certPem) === true) resolve();
      });
    });
    // Key first: a reader never pairs the new certificate with the old key for long.
    await writeFile(join(directory, 'ledger.key'), rotated.keyPem);
    await writeFile(join(directory, 'ledger.crt'), rotated.certPem);
    await reloaded;

    const after = await presentedSerial();
    expect(after).to.equal(new X509Certificate(rotated.certPem).serialNumber);
    expect(after).to.not.equal(before);
  });
});
