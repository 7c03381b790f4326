#!/bin/bash
# A wrapper script that traps nothing and runs a program (its arguments) that handles the
# signals itself. Grid Engine runs a copy of this script from its spool: paths are absolute.
"$@"
