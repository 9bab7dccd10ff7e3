#!/usr/bin/env python3
"""Prepares a fresh moto_server for test_s3_client: an IAM user with an access key and an admin
policy, a bucket. moto runs with INITIAL_NO_AUTH_ACTION_COUNT=4: these four actions are the last
unchecked ones, every later request must be signed with that key. Prints "<access key> <secret key>"."""
import json
import sys

import boto3

endpoint, bucket = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="setup", aws_secret_access_key="setup")
iam = boto3.client("iam", **kw)
iam.create_user(UserName="cloudrec")
key = iam.create_access_key(UserName="cloudrec")["AccessKey"]
iam.put_user_policy(UserName="cloudrec", PolicyName="admin", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
boto3.client("s3", **kw).create_bucket(Bucket=bucket)
print(key["AccessKeyId"], key["SecretAccessKey"])
