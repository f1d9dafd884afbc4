// A throwaway Bluesky PDS for tests: @atproto/dev-env's TestNetworkNoAppView (a PLC directory
// and a PDS, in memory, on free ports), with one account and an app password for Gavel (or, with
// a count after the handle `name.test`, that many accounts `name0.test`, `name1.test`, …, listed in `accounts`).
// Prints one JSON line {service, handle, did, app_password, admin_password, accounts}; stops when stdin
// closes (the test process exited). Run by tests/support/bluesky.rs with NODE_PATH set to the
// packages scripts/bluesky.sh installs.
const { TestNetworkNoAppView } = require('@atproto/dev-env')

async function xrpc(service, nsid, body, token) {
  const res = await fetch(`${service}/xrpc/${nsid}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  })
  const json = await res.json()
  if (!res.ok) throw new Error(`${nsid}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

async function account(service, handle) {
  const made = await xrpc(service, 'com.atproto.server.createAccount', {
    email: `${handle}@example.test`,
    handle,
    password: 'account-password-not-for-gavel',
  })
  const app = await xrpc(
    service,
    'com.atproto.server.createAppPassword',
    { name: 'gavel' },
    made.accessJwt,
  )
  return { handle, did: made.did, app_password: app.password }
}

async function main() {
  const network = await TestNetworkNoAppView.create({})
  const service = network.pds.url
  const handle = process.argv[2] || 'council.test'
  const count = Number(process.argv[3] || 0)
  const accounts = []
  if (count > 0) {
    const [name, ...domain] = handle.split('.')
    for (let i = 0; i < count; i++) {
      accounts.push(await account(service, [`${name}${i}`, ...domain].join('.')))
    }
  } else {
    accounts.push(await account(service, handle))
  }
  process.stdout.write(
    JSON.stringify({
      service,
      ...accounts[0],
      accounts,
      admin_password: network.pds.ctx.cfg.service.adminPassword ?? null,
    }) + '\n',
  )
  process.stdin.resume()
  process.stdin.on('end', async () => {
    await network.close()
    process.exit(0)
  })
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
