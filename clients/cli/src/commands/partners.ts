// `partners …`: create bank partners, rotate their client secret and revoke them (admin only).
// A client secret is shown once, at creation or rotation: the CLI prints it and says so.
import type { Partner } from '../../../../gen/grpc-js/clearmesh/account/v1/partner.js';
import { exitOk, type Command, type CommandContext } from '../command.js';
import { partnerFields, partnerView } from '../views.js';

function showPartner(
  context: CommandContext,
  partner: Partner | undefined,
  clientSecret?: string,
): number {
  if (partner === undefined) throw new Error('the account service answered no partner');
  const view = partnerView(partner);
  context.out.document(
    clientSecret === undefined ? { partner: view } : { partner: view, clientSecret },
  );
  context.out.fields(
    clientSecret === undefined
      ? partnerFields(view)
      : [...partnerFields(view), ['client secret', clientSecret]],
  );
  if (clientSecret !== undefined) {
    context.out.line();
    context.out.line('The client secret is shown only now: store it before you go on.');
  }
  return exitOk;
}

const create: Command = {
  words: ['partners', 'create'],
  synopsis: '--name <text> --scopes <scope,…>',
  summary:
    'create a partner; scopes from accounts:read, accounts:write, payments:read, payments:write',
  options: { name: { type: 'string' }, scopes: { type: 'string' } },
  positionals: [],
  run: async (context) => {
    const { flags } = context;
    const displayName = flags.required('name');
    const scopes = flags
      .required('scopes')
      .split(/[\s,]+/)
      .filter((scope) => scope !== '');
    const response = await context.mesh().account().call.createPartner({ displayName, scopes });
    return showPartner(context, response.partner, response.clientSecret);
  },
};

const rotateSecret: Command = {
  words: ['partners', 'rotate-secret'],
  synopsis: '<partner id>',
  summary: 'issue a partner a new client secret (the old one stops working)',
  options: {},
  positionals: ['partner id'],
  run: async (context) => {
    const response = await context
      .mesh()
      .account()
      .call.rotatePartnerSecret({ partnerId: context.flags.positional(0) });
    return showPartner(context, response.partner, response.clientSecret);
  },
};

const revoke: Command = {
  words: ['partners', 'revoke'],
  synopsis: '<partner id>',
  summary: 'revoke a partner: its credentials and tokens stop working',
  options: {},
  positionals: ['partner id'],
  run: async (context) => {
    const response = await context
      .mesh()
      .account()
      .call.revokePartner({ partnerId: context.flags.positional(0) });
    return showPartner(context, response.partner);
  },
};

export const partnerCommands: readonly Command[] = [create, rotateSecret, revoke];
