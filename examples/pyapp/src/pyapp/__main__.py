"""`python3 -m pyapp`: the same as the console script."""

from pyapp.cli import main

raise SystemExit(main())
