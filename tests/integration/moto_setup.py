"""Prepares a moto_server for the storage tests: an IAM user with full access, its key pair, and
buckets. moto checks SigV4 signatures once INITIAL_NO_AUTH_ACTION_COUNT unauthenticated actions
have been served, so the server must be started with that count set to the number of actions done
here (see s3.mjs). Prints {"AccessKey": .., "SecretKey": ..} as JSON.

usage: moto_setup.py ENDPOINT BUCKET..."""
import json
import sys

import boto3

endpoint, buckets = sys.argv[1], sys.argv[2:]
anon = dict(endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="setup", aws_secret_access_key="setup")
iam = boto3.client("iam", **anon)
iam.create_user(UserName="cloudrec")
iam.put_user_policy(UserName="cloudrec", PolicyName="all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="cloudrec")["AccessKey"]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=key["AccessKeyId"],
                  aws_secret_access_key=key["SecretAccessKey"])
for b in buckets:
    s3.create_bucket(Bucket=b)
print(json.dumps({"AccessKey": key["AccessKeyId"], "SecretKey": key["SecretAccessKey"]}))
