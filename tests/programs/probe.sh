#!/bin/sh
# Prints how the job was started, with nothing that differs between two runs of it.
echo "argv0=$(basename -- "$0" | sed 's/^[0-9][0-9]*$/SCRIPT/')"
echo "args=$*"
echo "nargs=$#"
echo "parent=$(cat /proc/$PPID/comm)"
echo "cmdline=$(tr '\0' ' ' < /proc/$$/cmdline | sed 's#/job_scripts/[0-9]*#/job_scripts/N#g')"
echo "ignored=$(grep SigIgn /proc/$$/status)"
echo "stdin=$(readlink /proc/$$/fd/0 | sed 's#/job_scripts/[0-9]*#/job_scripts/N#')"
echo "cwd=$(pwd)"
# the names of the environment, in their order (values differ between two jobs); the
# shepherd gives a job under a starter_method the SGE_STARTER_* ones only
echo "environment=$(tr '\0' '\n' < /proc/$$/environ | sed 's/=.*//' | grep -v '^SGE_STARTER_' | tr '\n' ' ')"
