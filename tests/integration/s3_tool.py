"""An S3 client for the storage tests (boto3; the key comes from AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY). Prints JSON.

usage: s3_tool.py ENDPOINT list BUCKET [PREFIX]   -> [{"Key", "Size", "ETag"}]
       s3_tool.py ENDPOINT get BUCKET KEY         -> {"Base64"}
       s3_tool.py ENDPOINT uploads BUCKET         -> [{"Key", "UploadId"}] (multipart under way)"""
import base64
import json
import sys

import boto3
from botocore.config import Config

endpoint, cmd, bucket = sys.argv[1], sys.argv[2], sys.argv[3]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}))
if cmd == "list":
    prefix = sys.argv[4] if len(sys.argv) > 4 else ""
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out += [{"Key": o["Key"], "Size": o["Size"], "ETag": o["ETag"].strip('"')}
                for o in page.get("Contents", [])]
    print(json.dumps(out))
elif cmd == "get":
    body = s3.get_object(Bucket=bucket, Key=sys.argv[4])["Body"].read()
    print(json.dumps({"Base64": base64.b64encode(body).decode()}))
elif cmd == "uploads":
    r = s3.list_multipart_uploads(Bucket=bucket)
    print(json.dumps([{"Key": u["Key"], "UploadId": u["UploadId"]} for u in r.get("Uploads", [])]))
else:
    sys.exit("unknown command " + cmd)
