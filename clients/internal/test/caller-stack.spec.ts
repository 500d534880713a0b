// grpc-js would capture the caller's stack on every unary call; the SDK turns that capture off
// (its frames never reached past the SDK's own) and must leave V8's stack limit as it found it.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { withoutCallerStack } from '../src/mesh-client.js';
import {
  clientErrorOf,
  echoMeshClient,
  type EchoMeshClient,
} from '../../../test/harness/test-clients.js';
import { startTestServer, type TestServer } from '../../../test/harness/test-server.js';

describe('caller stack capture', () => {
  let server: TestServer;
  let client: EchoMeshClient;

  before(async () => {
    server = await startTestServer({});
    client = echoMeshClient(server.address);
  });

  after(async () => {
    client.close();
    await server.shutdown(0);
  });

  it('a failed call keeps its code and details, without a captured stack', async () => {
    const limit = Error.stackTraceLimit;
    const error = await clientErrorOf(
      client.call.echo({
        fail: { code: grpc.status.FAILED_PRECONDITION, reason: 'INVALID_STATE' },
      }),
    );
    expect(error.code).to.equal(grpc.status.FAILED_PRECONDITION);
    expect(error.reason).to.equal('INVALID_STATE');
    expect(error.message).to.equal('told to fail');
    const cause = error.cause as grpc.ServiceError;
    expect(cause.code).to.equal(grpc.status.FAILED_PRECONDITION);
    // grpc-js appends the stack it captured when the call was made; none was.
    expect(cause.stack?.split('for call at\n')[1]).to.equal('no stack trace available');
    expect(Error.stackTraceLimit).to.equal(limit);
  });

  it('captures no stack inside, and restores the limit after, also when the call throws', () => {
    const limit = Error.stackTraceLimit;
    const inside = withoutCallerStack(() => new Error('made inside'));
    expect(inside.stack).to.equal('Error: made inside');
    expect(Error.stackTraceLimit).to.equal(limit);
    expect(() =>
      withoutCallerStack(() => {
        throw new Error('thrown inside');
      }),
    ).to.throw('thrown inside');
    expect(Error.stackTraceLimit).to.equal(limit);
    expect(new Error('made outside').stack).to.include('caller-stack.spec');
  });
});
