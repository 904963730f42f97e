from mctltg.cli import main

raise SystemExit(main())
