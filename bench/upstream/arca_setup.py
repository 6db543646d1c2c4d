#!/usr/bin/env python3
"""arca_setup.py URL CREDENTIALS_FILE OUT_DIR
With boto3 against a running `arca serve` at URL (started with an [external_connections]
"public:npmjs" entry): creates domain `bench`, repository `pull` associated with the external
connection `public:npmjs`, and repository `local` (no upstreams). Writes OUT_DIR/arca.token
(GetAuthorizationToken, 12 h), OUT_DIR/pull.endpoint and OUT_DIR/local.endpoint
(GetRepositoryEndpoint --format npm, ending with '/')."""
import configparser, os, sys

import boto3

url, creds, out = sys.argv[1], sys.argv[2], sys.argv[3]
domain = "bench"
cp = configparser.ConfigParser()
cp.read(creds)
sect = cp["default"]
ca = boto3.client("codeartifact", endpoint_url=url, region_name="us-east-1",
                  aws_access_key_id=sect["aws_access_key_id"],
                  aws_secret_access_key=sect["aws_secret_access_key"])
ca.create_domain(domain=domain)
ca.create_repository(domain=domain, repository="pull")
ca.associate_external_connection(domain=domain, repository="pull",
                                 externalConnection="public:npmjs")
ca.create_repository(domain=domain, repository="local")
tok = ca.get_authorization_token(domain=domain, durationSeconds=43200)["authorizationToken"]
with open(os.path.join(out, "arca.token"), "w") as f:
    f.write(tok)
for repo in ("pull", "local"):
    ep = ca.get_repository_endpoint(domain=domain, repository=repo, format="npm")["repositoryEndpoint"]
    if not ep.endswith("/"):
        ep += "/"
    with open(os.path.join(out, repo + ".endpoint"), "w") as f:
        f.write(ep)
    print(f"arca: domain {domain}, repository {repo}, endpoint {ep}")
