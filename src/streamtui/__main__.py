from streamtui.cli import main

raise SystemExit(main())
