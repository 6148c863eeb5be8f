"""Pure domain rules: data in, data out, time always passed in."""
