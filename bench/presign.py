#!/usr/bin/env python3
"""Create the benchmark domain/repository and print a SigV4 presigned DescribeRepository URL.

usage: presign.py ENDPOINT CREDENTIALS_FILE [--setup] [--domain D] [--repository R] [--expires S]

ENDPOINT          e.g. http://127.0.0.1:PORT (the server's listening URL)
CREDENTIALS_FILE  an AWS shared-credentials file, e.g. DATA_DIR/admin.credentials ([default])
--setup           CreateDomain + CreateRepository first (an existing one is fine)
The URL (GET /v1/repository?domain=..&repository=..&X-Amz-...) goes to stdout, nothing else.
"""
import argparse
import configparser
import sys

import boto3
from botocore.config import Config

ap = argparse.ArgumentParser()
ap.add_argument("endpoint")
ap.add_argument("credentials")
ap.add_argument("--setup", action="store_true")
ap.add_argument("--domain", default="bench")
ap.add_argument("--repository", default="repo")
ap.add_argument("--expires", type=int, default=3600)
ap.add_argument("--region", default="us-east-1")
a = ap.parse_args()

cred = configparser.ConfigParser()
cred.read(a.credentials)
sect = cred["default"]
session = boto3.session.Session(aws_access_key_id=sect["aws_access_key_id"],
                                aws_secret_access_key=sect["aws_secret_access_key"], region_name=a.region)
client = session.client("codeartifact", endpoint_url=a.endpoint,
                        config=Config(retries={"max_attempts": 1}))

if a.setup:
    for call, kw in ((client.create_domain, {"domain": a.domain}),
                     (client.create_repository, {"domain": a.domain, "repository": a.repository})):
        try:
            call(**kw)
        except client.exceptions.ConflictException:
            pass
    # the signed path must work before it is replayed
    client.describe_repository(domain=a.domain, repository=a.repository)

print(client.generate_presigned_url("describe_repository",
                                    Params={"domain": a.domain, "repository": a.repository},
                                    ExpiresIn=a.expires))
sys.stdout.flush()
