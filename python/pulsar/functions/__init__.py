"""The Pulsar Functions API: `Function`, `Context` and the SerDe classes."""
