"""Server accounts (a feed server that keeps the subscriptions and read state) will go here:
one module a kind of server, each reading its feeds behind the same interface as the other
kinds of source (see the refresh pipeline), so that adding one edits no pipeline code."""
