#!/usr/bin/env python3
"""arca_setup.py URL CREDENTIALS_FILE OUT_DIR [DOMAIN] [REPOSITORY]
With boto3 against a running `arca serve` at URL: creates domain (default `bench`) and an npm
repository (default `npm`), then writes OUT_DIR/arca.token (GetAuthorizationToken, 12 h) and
OUT_DIR/arca.endpoint (GetRepositoryEndpoint --format npm, ends with '/')."""
import configparser, os, sys

import boto3

url, creds, out = sys.argv[1], sys.argv[2], sys.argv[3]
domain = sys.argv[4] if len(sys.argv) > 4 else "bench"
repo = sys.argv[5] if len(sys.argv) > 5 else "npm"
cp = configparser.ConfigParser()
cp.read(creds)
sect = cp["default"]
ca = boto3.client("codeartifact", endpoint_url=url, region_name="us-east-1",
                  aws_access_key_id=sect["aws_access_key_id"],
                  aws_secret_access_key=sect["aws_secret_access_key"])
ca.create_domain(domain=domain)
ca.create_repository(domain=domain, repository=repo)
tok = ca.get_authorization_token(domain=domain, durationSeconds=43200)["authorizationToken"]
ep = ca.get_repository_endpoint(domain=domain, repository=repo, format="npm")["repositoryEndpoint"]
if not ep.endswith("/"):
    ep += "/"
with open(os.path.join(out, "arca.token"), "w") as f:
    f.write(tok)
with open(os.path.join(out, "arca.endpoint"), "w") as f:
    f.write(ep)
print(f"arca: domain {domain}, repository {repo}, endpoint {ep}")
