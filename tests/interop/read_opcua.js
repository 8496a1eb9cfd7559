// Interop peer: a node-opcua client (a stack we did not write) reads our simulator's OPC UA
// server over Basic256Sha256 / SignAndEncrypt with user name and password, pinning the
// server certificate. Usage:
//   node read_opcua.js ENDPOINT SERVER_CERT_DER PKI_DIR NAMESPACE_URI NODE [NODE...]
// User and password come from CHAUFFERIE_OPCUA_USER / CHAUFFERIE_OPCUA_PASSWORD. The client's
// certificate and key (which the server must trust) come from INTEROP_CLIENT_CERT /
// INTEROP_CLIENT_KEY; INTEROP_SECURITY_MODE=None forces a channel without security (an attack:
// the password then travels in clear, and the server must refuse the session).
// Prints one JSON object {node: {value, status}} on stdout; exit code 0 on success.
"use strict";
const fs = require("fs");
const {
    OPCUAClient, MessageSecurityMode, SecurityPolicy, AttributeIds, UserTokenType,
} = require("node-opcua-client");
const { OPCUACertificateManager } = require("node-opcua-certificate-manager");

async function main() {
    const [endpoint, serverCertPath, pkiDir, namespaceUri, ...nodes] = process.argv.slice(2);
    const certificateManager = new OPCUACertificateManager({
        rootFolder: pkiDir, automaticallyAcceptUnknownCertificate: false,
    });
    await certificateManager.initialize();
    const serverCertificate = fs.readFileSync(serverCertPath);
    await certificateManager.trustCertificate(serverCertificate);
    const clear = process.env.INTEROP_SECURITY_MODE === "None";
    const client = OPCUAClient.create({
        applicationName: "chaufferie-interop",
        applicationUri: "urn:chaufferie:interop:node-opcua",
        securityMode: clear ? MessageSecurityMode.None : MessageSecurityMode.SignAndEncrypt,
        securityPolicy: clear ? SecurityPolicy.None : SecurityPolicy.Basic256Sha256,
        serverCertificate,
        certificateFile: process.env.INTEROP_CLIENT_CERT,
        privateKeyFile: process.env.INTEROP_CLIENT_KEY,
        clientCertificateManager: certificateManager,
        endpointMustExist: false,
        connectionStrategy: { maxRetry: 0, initialDelay: 100 },
    });
    await client.connect(endpoint);
    try {
        const session = await client.createSession({
            type: UserTokenType.UserName,
            userName: process.env.CHAUFFERIE_OPCUA_USER,
            password: process.env.CHAUFFERIE_OPCUA_PASSWORD,
        });
        const nsArray = await session.readNamespaceArray();
        const ns = nsArray.indexOf(namespaceUri);
        if (ns < 0) throw new Error(`namespace ${namespaceUri} not found`);
        const out = { _browsed: [] };
        const objects = await session.browse("ObjectsFolder");
        for (const ref of objects.references || []) {
            if (ref.nodeId.namespace === ns) {
                const children = await session.browse(ref.nodeId);
                for (const child of children.references || []) out._browsed.push(child.browseName.name);
            }
        }
        for (const node of nodes) {
            const dv = await session.read({ nodeId: `ns=${ns};s=${node}`, attributeId: AttributeIds.Value });
            const v = dv.value.value;
            out[node] = { value: typeof v === "bigint" ? Number(v) : v, status: dv.statusCode.name };
        }
        await session.close();
        process.stdout.write(JSON.stringify(out) + "\n");
    } finally {
        await client.disconnect();
    }
}

main().catch((err) => {
    process.stderr.write(`interop failure: ${err.message}\n`);
    process.exit(1);
});
