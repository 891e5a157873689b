#!/bin/sh
# Verifies every signature of an mcp-orchestration store with stock
# ssh-keygen, one process per signature, as a user without the tool would
# (docs/FORMAT.md, "Verify a config with stock tools only", step 4): the
# statement file is the message, <id>.sig its signature.
#
# Usage, from the repository's root: sh ssh_keygen_verify.sh PRINCIPAL
# Prints "N signatures verified"; exits non-zero at the first failure.
set -eu
store=.mcp-orchestration
principal=$1
n=0
while read -r id path; do
  [ "$id" = mcp-orchestration-index ] && continue
  ssh-keygen -Y verify -f "$store/allowed_signers" -I "$principal" \
    -n mcp-orchestration -s "$store/statements/$id.sig" \
    < "$store/statements/$id" > /dev/null
  n=$((n + 1))
done < "$store/index"
echo "$n signatures verified"
