from papercraft.cli import main

raise SystemExit(main())
