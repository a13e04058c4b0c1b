// A real OpenID Provider (panva/oidc-provider) on loopback for Assay's single sign-on tests.
// Usage: node provider.mjs PORT REDIRECT_URI
// Accounts: any login name; the groups claim comes from GROUPS below (others have none).
// Prints "READY <issuer>" once it listens.
import Provider from "oidc-provider";

const [port, redirect] = [Number(process.argv[2]), process.argv[3]];
const issuer = `http://127.0.0.1:${port}`;
const GROUPS = {
  ana: ["rai-analysts"],
  rev: ["rai-reviewers"],
  boss: ["rai-admins"],
  mallory: ["marketing"],
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "assay",
      client_secret: "assay-test-secret",
      redirect_uris: [redirect],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  claims: {
    openid: ["sub"],
    profile: ["preferred_username", "name", "groups"],
    email: ["email"],
  },
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          preferred_username: id,
          name: id.toUpperCase(),
          email: `${id}@example.test`,
          groups: GROUPS[id] ?? [],
        };
      },
    };
  },
});
provider.proxy = false;
provider.listen(port, "127.0.0.1", () => {
  console.log(`READY ${issuer}`);
});
