"""`python -m gateway.cli`: the `gateway` command without its console script (bench/ uses it)."""

from gateway.cli import main

raise SystemExit(main())
