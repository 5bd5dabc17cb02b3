from vi2en.cli import main

raise SystemExit(main())
