#!/usr/bin/env python3
# A real Notary Project plugin for the integration tests. Its behaviour comes from the
# JSON file whose path is substituted for @CONF@ when the test writes the executable.
import base64, json, subprocess, sys

CONF = json.load(open("@CONF@"))
cmd = sys.argv[1]
raw = sys.stdin.read()
req = json.loads(raw) if raw else None
if CONF.get("log"):
    with open(CONF["log"], "a") as f:
        f.write(json.dumps({"command": cmd, "request": req}) + "\n")
fail = CONF.get("fail", {}).get(cmd)
if fail is not None:
    sys.stderr.write(fail.get("stderr", ""))
    sys.exit(fail.get("exit", 1))
if cmd in CONF.get("garbage", []):
    sys.stdout.write("this is not json")
    sys.exit(0)


def out(obj):
    # What a Go plugin may send too: members merged in per command ("extra", e.g. nulls and
    # unknown members), member names in another case ("capitalize"), bytes after the document
    # ("trailing").
    obj.update(CONF.get("extra", {}).get(cmd, {}))
    if CONF.get("capitalize"):
        obj = {k[:1].upper() + k[1:]: v for k, v in obj.items()}
    sys.stdout.write(json.dumps(obj) + CONF.get("trailing", {}).get(cmd, ""))
    sys.exit(0)


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def chain_der_b64():
    pem = open(CONF["chain"]).read()
    return ["".join(b.split("-----END CERTIFICATE-----")[0].split())
            for b in pem.split("-----BEGIN CERTIFICATE-----")[1:]]


def pss_sign(data, hash_name):
    return subprocess.run(
        ["openssl", "dgst", "-" + hash_name, "-sign", CONF["key"],
         "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"],
        input=data, capture_output=True, check=True).stdout


if cmd == "get-plugin-metadata":
    out({"name": CONF["name"], "description": "test plugin " + CONF["name"],
         "version": CONF["version"], "url": "https://example.com/plugin",
         "supportedContractVersions": ["1.0"], "capabilities": CONF["capabilities"]})
if cmd == "describe-key":
    out({"keyId": CONF.get("keyIdEcho", req["keyId"]), "keySpec": CONF.get("keySpec", "RSA-2048")})
if cmd == "generate-signature":
    payload = base64.b64decode(req["payload"])
    hash_name = req["hashAlgorithm"].replace("-", "").lower()
    if CONF.get("signOther"):
        payload = payload + b"tampered"
    sig = pss_sign(payload, hash_name)
    out({"keyId": req["keyId"], "signature": base64.b64encode(sig).decode(),
         "signingAlgorithm": "RSASSA-PSS-SHA-256", "certificateChain": chain_der_b64()})
if cmd == "generate-envelope":
    payload = json.loads(base64.b64decode(req["payload"]))
    if CONF.get("changeDigest"):
        payload["targetArtifact"]["digest"] = "sha256:" + "0" * 64
    if CONF.get("extraMember"):
        payload["targetArtifact"]["surprise"] = 1
    payload_b64 = b64url(json.dumps(payload, separators=(",", ":")).encode())
    protected = {
        "alg": "PS256",
        "crit": ["io.cncf.notary.signingScheme"] + list(CONF.get("extraProtected", {}).keys()),
        "cty": "application/vnd.cncf.notary.payload.v1+json",
        "io.cncf.notary.signingScheme": "notary.x509",
        "io.cncf.notary.signingTime": "2025-06-01T10:00:00Z",
    }
    protected.update(CONF.get("extraProtected", {}))
    protected_b64 = b64url(json.dumps(protected, separators=(",", ":")).encode())
    sig = pss_sign((protected_b64 + "." + payload_b64).encode(), "sha256")
    env = {"payload": payload_b64, "protected": protected_b64,
           "header": {"x5c": chain_der_b64(), "io.cncf.notary.signingAgent": "test-envelope-plugin/1.0"},
           "signature": b64url(sig)}
    out({"signatureEnvelope": base64.b64encode(json.dumps(env).encode()).decode(),
         "signatureEnvelopeType": CONF.get("envelopeType", req["signatureEnvelopeType"]),
         "annotations": CONF.get("annotations", {})})
if cmd == "verify-signature":
    out(CONF["verifyResponse"])
sys.stderr.write(json.dumps({"errorCode": "VALIDATION_ERROR", "errorMessage": "unknown command " + cmd}))
sys.exit(1)
