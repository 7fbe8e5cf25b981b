"""`python -m gateway.cli ...`: the `gateway` command without its script (benchmarks use it)."""

from gateway.cli import main

raise SystemExit(main())
