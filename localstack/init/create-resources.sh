#!/usr/bin/env bash
# Runs inside LocalStack once it is ready. It creates nothing on purpose: `sls deploy --stage local` creates
# the stream (sluice-local-events), the bucket (sluice-local-data) and the failure queue itself, and
# LocalStack's CloudFormation fails when a stack's stream already exists. (To read a stream created
# elsewhere, deploy with --param="streams=<name>" --param="stream=<name>"; then the stack creates no
# stream and the roles read only that one.)
set -euo pipefail
echo "sluice: LocalStack is ready; run 'npx serverless deploy --stage local'"
