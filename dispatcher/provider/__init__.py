"""The edge towards IT Cloud Services: HTTP client, answer parser, simulator."""
