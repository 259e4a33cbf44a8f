"""Wire-level tests: real ASGI servers on 127.0.0.1, spoken to with raw sockets."""
