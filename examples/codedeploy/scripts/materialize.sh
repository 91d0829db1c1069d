#!/bin/sh
# CodeDeploy AfterInstall hook: write the app's configuration and secrets
# from Parameter Store into /var/www/app/.env (0600, owned by www-data).
#
# Installs nothing at deploy time: ssm-materialize is part of the instance
# image (README.md, "Install"). Credentials and region come from the
# instance profile through instance metadata; no keys on the instance.
# Any failure (missing or denied parameter, store unavailable) exits
# non-zero, which fails the deployment with every file left as it was.
set -eu

# The agent's PATH may lack /usr/local/bin, where the binary is installed.
PATH="$PATH:/usr/local/bin"
# Where appspec.yml's `files:` section put the revision.
APP_ROOT="${APP_ROOT:-/var/www/app}"

# DEPLOYMENT_GROUP_NAME (set by the agent) picks the environment's prefix in
# the manifest. --jitter spreads a fleet's first calls over 5 s: every
# instance of a deployment starts this hook at once, against a shared quota.
exec ssm-materialize write -m "$APP_ROOT/deploy/materialize.yaml" --jitter 5 --timeout 60
