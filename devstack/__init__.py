"""The embedded development stack: Redis, a mail catcher, and the supervisor behind `flask dev`."""
