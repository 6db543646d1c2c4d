#!/usr/bin/env python3
"""publish_local.py ENDPOINT TOKEN TGZ NAME VERSION
Publishes the bytes of TGZ as NAME@VERSION to the npm repository at ENDPOINT (ends with '/')
with the raw `PUT /NAME` document `npm publish` sends (base64 attachment, sha512 integrity,
sha1 shasum), `Authorization: Bearer TOKEN`. Used to put the very bytes the pull-through
repository cached into a local repository, so that both hits serve identical content."""
import base64, hashlib, json, sys, urllib.request

ep, token, tgz_path, name, version = sys.argv[1:6]
tgz = open(tgz_path, "rb").read()
fname = "%s-%s.tgz" % (name, version)
manifest = {"name": name, "version": version, "description": "pull-through bench",
            "main": "index.js", "license": "MIT", "_id": "%s@%s" % (name, version),
            "_nodeVersion": "20.20.2", "_npmVersion": "11.19.1",
            "dist": {"integrity": "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode(),
                     "shasum": hashlib.sha1(tgz).hexdigest(),
                     "tarball": "%s%s/-/%s" % (ep, name, fname)}}
doc = {"_id": name, "name": name, "dist-tags": {"latest": version},
       "versions": {version: manifest}, "access": None,
       "_attachments": {fname: {"content_type": "application/octet-stream",
                                "data": base64.b64encode(tgz).decode(), "length": len(tgz)}}}
req = urllib.request.Request(ep + name, data=json.dumps(doc).encode(), method="PUT",
                             headers={"Content-Type": "application/json",
                                      "Authorization": "Bearer " + token,
                                      "npm-command": "publish"})
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
with opener.open(req, timeout=120) as r:
    print("published %s@%s (%d bytes) to %s: HTTP %d" % (name, version, len(tgz), ep, r.status))
