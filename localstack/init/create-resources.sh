#!/usr/bin/env bash
# Runs inside LocalStack once it is ready: the stream and bucket that `sls deploy --stage local` expects
# (the stack creates them too; creating them first lets the producer start before the deploy finishes).
set -euo pipefail
awslocal kinesis create-stream --stream-name sluice-local-events --shard-count 2 || true
awslocal s3 mb s3://sluice-local-data || true
awslocal kinesis wait stream-exists --stream-name sluice-local-events
echo "sluice: stream sluice-local-events and bucket sluice-local-data are ready"
